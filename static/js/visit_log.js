// The visit log form: show the complaint fields only when "open a complaint ticket" is ticked, and
// clear the cartons of a product marked out of stock.
(function () {
  "use strict";
  const form = document.getElementById("visit-log-form");
  if (!form) return;
  const toggle = form.querySelector("input[name=open_ticket]");
  const ticketFields = document.getElementById("ticket-fields");
  if (toggle && ticketFields) {
    const sync = function () { ticketFields.classList.toggle("visit-collapsed", !toggle.checked); };
    toggle.addEventListener("change", sync);
    sync();
  }
  form.querySelectorAll("[data-stock-row]").forEach(function (row) {
    const cartons = row.querySelector("[data-cartons]");
    row.querySelectorAll("input[type=radio]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked && radio.value !== "in" && cartons) cartons.value = "";
      });
    });
  });
})();
