// Picking a shop from the lookup list fills the hidden retailer field of the ticket form.
document.addEventListener("click", function (event) {
  const choice = event.target.closest(".retailer-choice");
  if (!choice) return;
  document.getElementById("id_retailer").value = choice.dataset.id;
  document.getElementById("retailer-search").value = choice.dataset.label;
  document.getElementById("retailer-choices").innerHTML = "";
});
