// The mapping editor's product picks: a click fills product, units (and top-up for a channel)
// in place instead of sending the form. Without this script each pick is a submit button the
// server answers with the same fields filled in.
(function () {
  "use strict";
  var form = document.getElementById("mapform");
  if (!form) return;
  form.addEventListener("click", function (event) {
    var pick = event.target.closest("button[name=pick]");
    if (!pick) return;
    event.preventDefault();
    form.elements.product.value = pick.dataset.product;
    form.elements.units.value = pick.dataset.units;
    if (pick.dataset.delivery) form.elements.delivery.value = pick.dataset.delivery;
    form.querySelectorAll("button[name=pick].on").forEach(function (b) { b.classList.remove("on"); });
    pick.classList.add("on");
    form.elements.product.focus();
  });
})();
