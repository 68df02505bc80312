// The furigana switch of the やさしい日本語 summary: hides or shows the readings (<rt>) and
// remembers the choice in this browser. Without JavaScript the readings stay shown.
(function () {
  "use strict";
  var button = document.getElementById("furigana-toggle");
  var text = document.getElementById("plain-summary-text");
  if (!button || !text) return;
  var KEY = "dxpia-furigana";
  function apply(show) {
    text.classList.toggle("no-furigana", !show);
    button.textContent = show ? button.dataset.labelHide : button.dataset.labelShow;
  }
  var stored = null;
  try { stored = window.localStorage.getItem(KEY); } catch (e) { /* storage may be off */ }
  apply(stored !== "off");
  button.hidden = false;
  button.addEventListener("click", function () {
    var show = text.classList.contains("no-furigana");
    apply(show);
    try { window.localStorage.setItem(KEY, show ? "on" : "off"); } catch (e) { /* not kept */ }
  });
})();
