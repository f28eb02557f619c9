// The console's little JavaScript: live dashboard, reload while an order moves, select-all, confirmations.
// Everything works without it; it only saves clicks.
(function () {
  "use strict";

  function refreshLive(el) {
    var every = Math.max(parseInt(el.getAttribute("data-every"), 10) || 10, 3) * 1000;
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(el.getAttribute("data-refresh"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (r.ok && !r.redirected) { return r.text(); } throw new Error(r.status); })
        .then(function (html) { el.innerHTML = html; })
        .catch(function () { /* keep the last figures; the next tick tries again */ });
    }, every);
  }

  function reloadWhileMoving(el) {
    var every = Math.max(parseInt(el.getAttribute("data-reload-every"), 10) || 3, 2) * 1000;
    setTimeout(function () {
      var typing = document.activeElement && /INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName);
      if (!typing && !document.hidden) { window.location.reload(); } else { reloadWhileMoving(el); }
    }, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(refreshLive);
    document.querySelectorAll("[data-reload-every]").forEach(reloadWhileMoving);
    document.querySelectorAll("[data-check-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.getAttribute("data-check-all");
        box.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (c) {
          c.checked = box.checked;
        });
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
      });
    });
  });
})();
