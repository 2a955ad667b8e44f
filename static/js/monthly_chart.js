// Draws the dossier's monthly purchases from the JSON the page embeds (#monthly-data).
// The chart sits in a tab that is hidden when the page loads, and Chart.js sizes a canvas from
// its container: drawn while hidden it would keep a wrong (half) width. So it is created when
// its tab is first shown, and resized whenever the tab is shown again.
(function () {
  const canvas = document.getElementById("monthly-chart");
  const source = document.getElementById("monthly-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const pane = canvas.closest(".tab-pane");
  const tabButton = pane && document.querySelector('[data-bs-target="#' + pane.id + '"]');
  let chart = null;

  function draw() {
    if (chart) {
      chart.resize();
      return;
    }
    const data = JSON.parse(source.textContent);
    chart = new Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: data.amount_label, data: data.amounts, backgroundColor: "rgba(139,30,36,0.7)", yAxisID: "y" },
          { type: "line", label: data.cartons_label, data: data.cartons, borderColor: "#d4a017", yAxisID: "y1" },
        ],
      },
      options: {
        responsive: true,
        scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } },
      },
    });
  }

  if (!pane || pane.classList.contains("active")) {
    draw();
  } else if (tabButton) {
    tabButton.addEventListener("shown.bs.tab", draw);
  }
})();
