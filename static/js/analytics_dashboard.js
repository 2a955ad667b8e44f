// Draws the analytics dashboard's charts from the JSON the page embeds (#dashboard-chart-data):
// sales by month (this year's line beside last year's) and sales by region (bars).
(function () {
  const source = document.getElementById("dashboard-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const months = document.getElementById("months-chart");
  if (months) {
    new Chart(months, {
      type: "line",
      data: {
        labels: data.months,
        datasets: [
          { label: data.amount_label, data: data.amounts, borderColor: "#8b1e24", backgroundColor: "rgba(139,30,36,0.2)" },
          { label: data.last_year_label, data: data.amounts_last_year, borderColor: "#d4a017", borderDash: [4, 4] },
        ],
      },
      options: { responsive: true, scales: { y: { beginAtZero: true } } },
    });
  }
  const regions = document.getElementById("regions-chart");
  if (regions) {
    new Chart(regions, {
      type: "bar",
      data: { labels: data.regions, datasets: [{ label: data.amount_label, data: data.region_amounts, backgroundColor: "rgba(139,30,36,0.7)" }] },
      options: { responsive: true, indexAxis: "y", plugins: { legend: { display: false } } },
    });
  }
})();
