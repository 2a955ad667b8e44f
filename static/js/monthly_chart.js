// Draws the dossier's monthly purchases from the JSON the page embeds (#monthly-data).
(function () {
  const data = JSON.parse(document.getElementById("monthly-data").textContent);
  const canvas = document.getElementById("monthly-chart");
  if (!canvas || typeof Chart === "undefined") return;
  new Chart(canvas, {
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
})();
