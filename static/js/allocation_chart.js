// Draws an allocation's cartons per level (档位) from the JSON the page embeds (#allocation-chart-data).
(function () {
  const canvas = document.getElementById("allocation-chart");
  const source = document.getElementById("allocation-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: data.cartons_label, data: data.cartons, backgroundColor: "rgba(139,30,36,0.7)", yAxisID: "y" },
        { type: "line", label: data.shops_label, data: data.shops, borderColor: "#d4a017", yAxisID: "y1" },
      ],
    },
    options: {
      responsive: true,
      scales: {
        y: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
      },
    },
  });
})();
