// The order page's card correction: the shop's card rule checked before sending, the reason shown at
// the field (in the page's language, never the browser's bubble), the button disabled while working.
// The server checks the same rule (bridge/services/cs_actions.py, card_form_ok); this only saves a trip.
(function () {
  "use strict";

  // As the server reads a typed card: full-width digits as ASCII, spaces and hyphens dropped.
  function normalise(text) {
    return text.normalize("NFKC").replace(/[ \-]/g, "");
  }

  function problem(form, card) {
    if (card === "") { return form.getAttribute("data-msg-empty"); }
    var lengths = (form.getAttribute("data-card-lengths") || "").split("/").filter(Boolean).map(Number);
    var prefixes = (form.getAttribute("data-card-prefixes") || "").split("/").filter(Boolean);
    var fits = /^[0-9]+$/.test(card) && lengths.indexOf(card.length) >= 0 &&
      (prefixes.length === 0 || prefixes.some(function (p) { return card.indexOf(p) === 0; }));
    return fits ? "" : form.getAttribute("data-msg-format");
  }

  function show(input, message) {
    var box = document.getElementById(input.getAttribute("aria-describedby"));
    box.textContent = message;
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }

  function guard(form) {
    var input = form.querySelector("input[name=card]");
    var button = form.querySelector("button[type=submit]");
    input.addEventListener("input", function () {
      if (input.getAttribute("aria-invalid")) { show(input, ""); }
    });
    form.addEventListener("submit", function (ev) {
      if (form.getAttribute("data-sending")) { ev.preventDefault(); return; }
      var message = problem(form, normalise(input.value));
      if (message) {
        ev.preventDefault();
        show(input, message);
        input.focus();
        return;
      }
      show(input, "");
      form.setAttribute("data-sending", "1");
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = form.getAttribute("data-busy-text");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.cardfix").forEach(guard);
  });
  // Back from the browser's cache (history): the form is live again.
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) { return; }
    document.querySelectorAll("form.cardfix[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.querySelector("button[type=submit]").disabled = false;
    });
  });
})();
