// The ticket page: a live countdown to the step's deadline, and standard answers into the reply.
(function () {
  const due = document.getElementById("step-due");
  const out = document.getElementById("countdown");
  if (due && out) {
    const deadline = new Date(due.dataset.due);
    const tick = function () {
      const minutes = Math.round((deadline - new Date()) / 60000);
      const sign = minutes < 0 ? "-" : "";
      const abs = Math.abs(minutes);
      out.textContent = "(" + sign + Math.floor(abs / 60) + ":" + String(abs % 60).padStart(2, "0") + ")";
      out.className = minutes < 0 ? "text-danger" : "";
    };
    tick();
    setInterval(tick, 30000);
  }
  document.querySelectorAll(".standard-answer").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.value) document.getElementById(select.dataset.target).value = select.value;
    });
  });
})();
