// The KPI period: choosing a preset shows it at once; typing dates clears the preset.
(function () {
  "use strict";
  const form = document.getElementById("kpi-period");
  if (!form) return;
  const preset = form.querySelector("select[name=period]");
  if (preset) {
    preset.addEventListener("change", function () { if (preset.value) form.submit(); });
  }
  form.querySelectorAll("input[type=date]").forEach(function (input) {
    input.addEventListener("change", function () { if (preset) preset.value = ""; });
  });
})();
