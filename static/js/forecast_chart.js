// Draws the forecast page's chart from the JSON the page embeds (#forecast-chart-data): the
// weekly amounts read, then the forecast weeks.
(function () {
  "use strict";
  const canvas = document.getElementById("forecast-chart");
  const source = document.getElementById("forecast-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.history_label, data: data.history, borderColor: "rgba(139,30,36,0.9)", pointRadius: 0, tension: 0.2 },
        { label: data.forecast_label, data: data.forecast, borderColor: "#d4a017", borderDash: [6, 4], pointRadius: 2 },
      ],
    },
    options: { responsive: true, interaction: { mode: "index", intersect: false }, scales: { y: { beginAtZero: true } } },
  });
})();
