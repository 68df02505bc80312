// The assessment wizard: conditional questions, background saving and inventory rows.
// Without JavaScript the page still works: the form posts save everything, and conditional
// questions appear after saving.
(function () {
  "use strict";
  const form = document.getElementById("section-form");
  if (!form) return;
  const status = document.getElementById("save-status");
  const revisionInput = form.querySelector("input[name=revision]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  // --- Conditional questions: the same rule as assessments/scoring.py visible_keys -------------
  function chosen(key) {
    const inputs = form.querySelectorAll(`[name="q-${key}"]`);
    return Array.from(inputs).filter((i) => i.checked).map((i) => i.value);
  }
  // Answers on other pages are known to the server only; it renders their visibility.
  const serverVisible = new Set(
    Array.from(document.querySelectorAll(".dx-question")).filter((q) => !q.hidden).map((q) => q.dataset.question)
  );
  function updateVisibility() {
    const visible = new Set();
    document.querySelectorAll(".dx-question").forEach((section) => {
      const key = section.dataset.question;
      const condition = section.dataset.conditionQuestion;
      let show = true;
      if (condition) {
        const onPage = form.querySelector(`[name="q-${condition}"]`);
        if (onPage) {
          const wanted = section.dataset.conditionChoices.trim().split(/\s+/);
          show = visible.has(condition) && chosen(condition).some((c) => wanted.includes(c));
        } else {
          show = serverVisible.has(key);
        }
      }
      section.hidden = !show;
      if (show) visible.add(key);
    });
  }
  form.addEventListener("change", updateVisibility);
  updateVisibility();

  // --- Autosave ---------------------------------------------------------------------------------
  function show(text, kind) {
    status.textContent = text;
    status.className = "small mt-2 " + (kind === "error" ? "text-danger fw-bold" : "text-success");
  }
  function valueOf(element) {
    const name = element.name;
    const group = form.querySelectorAll(`[name="${name}"]`);
    if (element.type === "checkbox") return Array.from(group).filter((i) => i.checked).map((i) => i.value);
    if (element.type === "radio") {
      const checked = Array.from(group).find((i) => i.checked);
      return checked ? checked.value : "";
    }
    return element.value;
  }
  const timers = new Map();
  let queue = Promise.resolve();
  function save(element) {
    const body = {
      question: element.dataset.autosaveQuestion,
      field: element.dataset.autosaveField,
      value: valueOf(element),
    };
    queue = queue.then(() => {
      body.revision = Number(revisionInput.value);
      show(gettext("保存中…"));
      return fetch(form.dataset.autosaveUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
        credentials: "same-origin",
      })
        .then((response) => response.json().then((data) => ({ response, data })))
        .then(({ response, data }) => {
          if (response.ok && data.ok) {
            revisionInput.value = data.revision;
            element.classList.remove("is-invalid");
            show(gettext("保存済み") + " " + data.saved_at);
          } else {
            element.classList.add("is-invalid");
            show(gettext("保存できませんでした") + ": " + (data.error || response.status), "error");
          }
        })
        .catch(() => show(gettext("保存できませんでした（通信エラー）。入力は画面に残っています。「保存」を押してください。"), "error"));
    });
  }
  function schedule(element, delay) {
    clearTimeout(timers.get(element));
    timers.set(element, setTimeout(() => save(element), delay));
  }
  form.querySelectorAll("[data-autosave-question]").forEach((element) => {
    if (element.type === "radio" || element.type === "checkbox") {
      element.addEventListener("change", () => schedule(element, 0));
    } else {
      element.addEventListener("input", () => schedule(element, 1500));
      element.addEventListener("change", () => schedule(element, 0));
    }
  });
  // Pending background saves are flushed into the form post itself.
  form.addEventListener("submit", () => timers.forEach((timer) => clearTimeout(timer)));

  // --- Inventory rows -------------------------------------------------------------------------
  const addRow = form.querySelector("[data-add-row]");
  const template = document.getElementById("inventory-empty-row");
  if (addRow && template) {
    addRow.addEventListener("click", (event) => {
      event.preventDefault();
      const total = form.querySelector("input[name=inv-TOTAL_FORMS]");
      const index = Number(total.value);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      document.getElementById("inventory-rows").insertAdjacentHTML("beforeend", html);
      total.value = index + 1;
      const rows = document.querySelectorAll("#inventory-rows tr");
      rows[rows.length - 1].querySelector("input[type=text]").focus();
    });
  }
})();
