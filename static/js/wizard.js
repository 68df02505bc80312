// The assessment wizard: conditional questions, background saving of every field, conflicts and
// inventory rows. Without JavaScript the page still works: the form's buttons save everything,
// conflicts are shown by the server, and conditional questions appear after saving.
(function () {
  "use strict";
  const form = document.getElementById("section-form");
  if (!form) return;
  const status = document.getElementById("save-status");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const url = form.dataset.autosaveUrl;

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

  // --- What each part of an answer holds on the page ---------------------------------------------
  // A part is "key:part"; value and note are inputs, evidence and rows are lists of row inputs.
  function question(key) {
    return document.getElementById(`q-${key}`);
  }
  function token(key, part) {
    return form.querySelector(`input[name="v-${key}-${part}"]`);
  }
  function rowContainer(key, part) {
    if (part === "rows") return document.getElementById("inventory-rows");
    return question(key).querySelector(".dx-evidence .dx-rows");
  }
  function rowPrefix(key, part) {
    return part === "rows" ? "inv" : `ev-${key}`;
  }
  function rowElements(key, part) {
    const container = rowContainer(key, part);
    return container ? Array.from(container.querySelectorAll(part === "rows" ? "tr.dx-inventory-row" : ".dx-row")) : [];
  }
  function rowValues(row) {
    const values = {};
    let deleted = false;
    row.querySelectorAll("input, select, textarea").forEach((input) => {
      const field = input.name.replace(/^.*-\d+-/, "");
      if (field === "DELETE") deleted = input.checked;
      else values[field] = input.value;
    });
    return deleted ? null : values;
  }
  function isEmptyRow(values, part) {
    return Object.entries(values).every(([name, value]) =>
      part === "rows" && ["sensitive", "children", "shared_with_vendor"].includes(name) ? value === "unknown" : value.trim() === ""
    );
  }
  function content(key, part) {
    if (part === "note") return { value: form.querySelector(`[name="note-${key}"]`).value };
    if (part === "value") {
      const inputs = Array.from(form.querySelectorAll(`[name="q-${key}"]`));
      const mark = Array.from(form.querySelectorAll(`[name="mark-${key}"]`)).find((i) => i.checked);
      let value = "";
      if (inputs.length && inputs[0].type === "checkbox") value = inputs.filter((i) => i.checked).map((i) => i.value);
      else if (inputs.length && inputs[0].type === "radio") value = (inputs.find((i) => i.checked) || { value: "" }).value;
      else if (inputs.length) value = inputs[0].value;
      return { value: value, mark: mark ? mark.value : "" };
    }
    const rows = rowElements(key, part).map(rowValues).filter((v) => v && !isEmptyRow(v, part));
    return { value: rows };
  }
  function inputsOf(key, part) {
    if (part === "note") return Array.from(form.querySelectorAll(`[name="note-${key}"]`));
    if (part === "value") return Array.from(form.querySelectorAll(`[name="q-${key}"], [name="mark-${key}"]`));
    return rowElements(key, part).flatMap((row) => Array.from(row.querySelectorAll("input, select, textarea")));
  }
  function partOf(element) {
    if (element.dataset.autosaveQuestion) return [element.dataset.autosaveQuestion, element.dataset.autosavePart];
    const rows = element.closest("[data-autosave-rows]");
    if (rows) return [rows.dataset.autosaveRows, rows.dataset.part];
    if (element.closest("#inventory")) return [element.closest(".dx-question").dataset.question, "rows"];
    return null;
  }

  // --- State and status line ---------------------------------------------------------------------
  const known = new Map(); // part -> the content last stored, as the page knows it
  const timers = new Map(); // part -> timeout
  const pending = new Set(); // parts changed and not yet stored
  const failed = new Map(); // part -> {message, network}
  const conflicts = new Set();
  let inFlight = 0;
  let lastSaved = "";
  let submitting = false;

  function questionText(key) {
    const section = question(key);
    return section ? section.dataset.questionText : key;
  }
  function render() {
    let text = "";
    let kind = "ok";
    if (conflicts.size) {
      text = gettext("保存されていない欄があります: 別のタブまたは別の人の保存と重なりました。質問のところで、どちらを残すか選んでください。");
      kind = "error";
    } else if (failed.size) {
      const [part, failure] = failed.entries().next().value;
      text = interpolate(gettext("「%s」を保存できませんでした: %s"), [questionText(part.split(":")[0]), failure.message]);
      if (failed.size > 1) text += " " + interpolate(gettext("（ほか%s件）"), [failed.size - 1]);
      kind = "error";
    } else if (inFlight) {
      text = gettext("保存中…");
      kind = "pending";
    } else if (pending.size) {
      text = gettext("未保存の変更があります");
      kind = "pending";
    } else if (lastSaved) {
      text = gettext("保存済み") + " " + lastSaved;
    }
    status.textContent = text;
    status.className = "small mb-0 ms-md-auto " + (kind === "error" ? "text-danger fw-bold" : kind === "pending" ? "text-body-secondary" : "text-success");
  }
  function unsaved() {
    return pending.size > 0 || failed.size > 0 || conflicts.size > 0 || inFlight > 0;
  }
  window.addEventListener("beforeunload", (event) => {
    if (submitting || !unsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  function setError(key, part, message) {
    const box = document.getElementById(`err-${key}-${part}`);
    inputsOf(key, part).forEach((input) => {
      if (message) {
        input.setAttribute("aria-invalid", "true");
        input.classList.add("is-invalid");
        if (box) {
          const ids = new Set((input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
          ids.add(box.id);
          input.setAttribute("aria-describedby", Array.from(ids).join(" "));
        }
      } else if (input.getAttribute("aria-invalid") === "true" && !input.dataset.serverError) {
        input.removeAttribute("aria-invalid");
        input.classList.remove("is-invalid");
      }
    });
    if (box) box.textContent = message || "";
  }
  function setRowErrors(key, part, rows) {
    const elements = rowElements(key, part).filter((row) => rowValues(row) && !isEmptyRow(rowValues(row), part));
    (rows || []).forEach((errors, index) => {
      const row = elements[index];
      if (!row) return;
      Object.entries(errors).forEach(([field, message]) => {
        const input = row.querySelector(`[name$="-${field}"]`);
        if (input) {
          input.setAttribute("aria-invalid", "true");
          input.classList.add("is-invalid");
        }
      });
    });
  }

  // --- Saving ---------------------------------------------------------------------------------------
  let queue = Promise.resolve();
  function schedule(key, part, delay) {
    const id = `${key}:${part}`;
    pending.add(id);
    clearTimeout(timers.get(id));
    timers.set(id, setTimeout(() => enqueue(key, part), delay));
    render();
  }
  function enqueue(key, part, overwriteBase) {
    const id = `${key}:${part}`;
    timers.delete(id);
    queue = queue.then(() => send(key, part, overwriteBase));
  }
  function send(key, part, overwriteBase) {
    const id = `${key}:${part}`;
    if (conflicts.has(id) && overwriteBase === undefined) return Promise.resolve();
    const sent = content(key, part);
    if (overwriteBase === undefined && !failed.has(id) && JSON.stringify(sent) === known.get(id)) {
      // What the page holds is what was stored (a change event after the save, or typing undone).
      pending.delete(id);
      render();
      return Promise.resolve();
    }
    const input = token(key, part);
    const base = overwriteBase !== undefined ? overwriteBase : parseInt(input.value, 10);
    inFlight += 1;
    render();
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ question: key, part: part, base: base, value: sent.value, mark: sent.mark || "" }),
      credentials: "same-origin",
    })
      .then((response) =>
        response
          .json()
          .catch(() => ({ ok: false, error: String(response.status) }))
          .then((data) => ({ response, data }))
      )
      .then(({ response, data }) => {
        inFlight -= 1;
        if (response.ok && data.ok) {
          input.value = data.token;
          known.set(id, JSON.stringify(sent));
          failed.delete(id);
          conflicts.delete(id);
          const box = document.getElementById(`conflicts-${key}`);
          if (box) box.querySelectorAll(`.dx-conflict[data-part="${part}"]`).forEach((el) => el.remove());
          setError(key, part, "");
          if (JSON.stringify(content(key, part)) === JSON.stringify(sent)) pending.delete(id);
          lastSaved = data.saved_at;
          if (part === "value") showWarning(key, data.warning);
        } else if (response.status === 409 && data.conflict) {
          conflicts.add(id);
          failed.delete(id);
          showConflict(key, part, data, sent);
        } else {
          failed.set(id, { message: data.error || String(response.status), network: false });
          setError(key, part, data.error || String(response.status));
          if (data.rows) setRowErrors(key, part, data.rows);
        }
        render();
      })
      .catch(() => {
        inFlight -= 1;
        const message = gettext("通信できませんでした。入力は画面に残っています。通信が戻ると自動で保存します。");
        failed.set(id, { message: message, network: true });
        setError(key, part, message);
        render();
      });
  }
  function retryNetworkFailures() {
    failed.forEach((failure, id) => {
      if (failure.network) {
        const [key, part] = id.split(":");
        enqueue(key, part);
      }
    });
  }
  window.addEventListener("online", retryNetworkFailures);
  setInterval(retryNetworkFailures, 15000);

  function showWarning(key, warning) {
    const box = document.getElementById(`warn-${key}`);
    if (!box) return;
    box.textContent = warning ? "⚠ " + warning : "";
    box.hidden = !warning;
  }

  // --- Conflicts ------------------------------------------------------------------------------------
  const PART_LABELS = { value: gettext("回答"), note: gettext("補足"), evidence: gettext("根拠資料"), rows: gettext("データ項目一覧") };
  function textOf(part, sent) {
    if (part === "value") return (Array.isArray(sent.value) ? sent.value.join("、") : sent.value) || (sent.mark ? markLabel(sent.mark) : "");
    if (part === "note") return sent.value;
    return sent.value.map((row) => Object.values(row).filter((v) => v && !["unknown", "yes", "no"].includes(v)).join(" / ")).join("\n");
  }
  function markLabel(mark) {
    const input = form.querySelector(`input[data-mark][value="${mark}"]`);
    const label = input && form.querySelector(`label[for="${input.id}"]`);
    return label ? label.textContent : mark;
  }
  function showConflict(key, part, data, sent) {
    const container = document.getElementById(`conflicts-${key}`);
    container.querySelectorAll(`.dx-conflict[data-part="${part}"]`).forEach((el) => el.remove());
    const box = document.createElement("div");
    box.className = "alert alert-warning small py-2 dx-conflict";
    box.dataset.part = part;
    box.setAttribute("role", "alert");
    const title = document.createElement("p");
    title.className = "fw-bold mb-1";
    title.textContent = interpolate(
      gettext("「%s」は、このページを開いた後に別のタブまたは別の人が保存しています。あなたの入力はまだ保存していません。"),
      [PART_LABELS[part]]
    );
    box.appendChild(title);
    const row = document.createElement("div");
    row.className = "row g-2";
    [[gettext("保存されている内容"), data.stored_text], [gettext("あなたの入力"), textOf(part, sent)]].forEach(([label, text]) => {
      const column = document.createElement("div");
      column.className = "col-md-6";
      const caption = document.createElement("p");
      caption.className = "mb-1";
      caption.textContent = label + ":";
      const area = document.createElement("textarea");
      area.className = "form-control form-control-sm";
      area.rows = 3;
      area.readOnly = true;
      area.value = text;
      area.setAttribute("aria-label", label);
      column.append(caption, area);
      row.appendChild(column);
    });
    box.appendChild(row);
    const buttons = document.createElement("div");
    buttons.className = "d-flex gap-2 flex-wrap mt-2";
    const mine = document.createElement("button");
    mine.type = "button";
    mine.className = "btn btn-warning btn-sm";
    mine.textContent = gettext("自分の入力で上書き");
    mine.addEventListener("click", () => {
      conflicts.delete(`${key}:${part}`);
      box.remove();
      pending.add(`${key}:${part}`);
      enqueue(key, part, data.version);
    });
    const stored = document.createElement("button");
    stored.type = "button";
    stored.className = "btn btn-outline-secondary btn-sm";
    stored.textContent = gettext("保存済みの内容を使う");
    stored.addEventListener("click", () => useStored(key, part, data, box));
    buttons.append(mine, stored);
    box.appendChild(buttons);
    container.appendChild(box);
    mine.focus();
  }
  function useStored(key, part, data, box) {
    const id = `${key}:${part}`;
    token(key, part).value = data.token;
    conflicts.delete(id);
    pending.delete(id);
    box.remove();
    if (part === "note") {
      form.querySelector(`[name="note-${key}"]`).value = data.stored || "";
    } else if (part === "value") {
      const stored = data.stored;
      const mark = stored && typeof stored === "object" && !Array.isArray(stored) ? stored.mark : "";
      const keys = Array.isArray(stored) ? stored : [stored];
      form.querySelectorAll(`[name="q-${key}"]`).forEach((input) => {
        if (input.type === "radio" || input.type === "checkbox") input.checked = keys.includes(input.value);
        else input.value = mark || stored === null ? "" : String(stored);
      });
      form.querySelectorAll(`[name="mark-${key}"]`).forEach((input) => (input.checked = input.value === (mark || "")));
      updateVisibility();
    } else {
      replaceRows(key, part, data.stored || []);
    }
    known.set(id, JSON.stringify(content(key, part)));
    setError(key, part, "");
    render();
  }
  // Conflict buttons rendered by the server after a form post submit the form (works without
  // JavaScript too); nothing to do here.

  // --- Listening -------------------------------------------------------------------------------------
  function listen(event) {
    const target = event.target;
    if (!(target instanceof HTMLElement) || !target.name || target.closest(".dx-conflict")) return;
    if (target.name.startsWith("v-") || target.name.endsWith("TOTAL_FORMS") || target.name.endsWith("INITIAL_FORMS")) return;
    const found = partOf(target);
    if (!found) return;
    const [key, part] = found;
    const immediate = event.type === "change" || ["radio", "checkbox"].includes(target.type) || target.tagName === "SELECT";
    schedule(key, part, immediate ? 0 : part === "evidence" || part === "rows" ? 1500 : 1000);
  }
  form.addEventListener("input", listen);
  form.addEventListener("change", listen);
  form.addEventListener("submit", () => {
    submitting = true;
    timers.forEach((timer) => clearTimeout(timer));
  });

  // --- Adding, removing and moving rows -------------------------------------------------------------
  function appendRow(key, part) {
    const prefix = rowPrefix(key, part);
    const total = form.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const template = part === "rows" ? document.getElementById("inventory-empty-row") : question(key).querySelector("template.dx-empty-row");
    const index = Number(total.value);
    rowContainer(key, part).insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = index + 1;
    const rows = rowElements(key, part);
    const last = rows[rows.length - 1];
    addMoveButtons(last, key, part);
    return last;
  }
  function addRow(key, part) {
    appendRow(key, part).querySelector("input[type=text], input:not([type])").focus();
  }
  // 「保存済みの内容を使う」 for sources or inventory rows: the stored rows replace those on the page.
  function replaceRows(key, part, items) {
    const prefix = rowPrefix(key, part);
    rowContainer(key, part).replaceChildren();
    form.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`).value = 0;
    form.querySelector(`input[name="${prefix}-INITIAL_FORMS"]`).value = 0;
    items.forEach((item) => {
      const row = appendRow(key, part);
      row.querySelectorAll("input, select, textarea").forEach((input) => {
        const field = input.name.replace(/^.*-\d+-/, "");
        if (field in item && input.type !== "checkbox") input.value = item[field] === null ? "" : item[field];
      });
    });
  }
  function renumber(key, part) {
    const prefix = rowPrefix(key, part);
    rowElements(key, part).forEach((row, index) => {
      row.querySelectorAll("[name], [id], label[for]").forEach((el) => {
        const pattern = new RegExp(`^(id_)?${prefix}-\\d+-`);
        ["name", "id", "for"].forEach((attr) => {
          const value = el.getAttribute(attr);
          if (value && pattern.test(value)) el.setAttribute(attr, value.replace(pattern, (m, id) => `${id || ""}${prefix}-${index}-`));
        });
      });
    });
  }
  function addMoveButtons(row, key, part) {
    if (part !== "rows" || row.querySelector("[data-move]")) return;
    const cell = row.lastElementChild;
    [["up", "↑", gettext("上へ移動")], ["down", "↓", gettext("下へ移動")]].forEach(([direction, symbol, label]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-outline-secondary btn-sm ms-1";
      button.dataset.move = direction;
      button.textContent = symbol;
      button.setAttribute("aria-label", label + "（" + (row.querySelector("input[name$=data_item]") || {}).value + "）");
      button.addEventListener("click", () => {
        const sibling = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
        if (!sibling) return;
        if (direction === "up") sibling.before(row);
        else sibling.after(row);
        renumber(key, part);
        button.focus();
        schedule(key, part, 0);
      });
      cell.appendChild(button);
    });
  }
  const addInventory = form.querySelector("[data-add-row]");
  if (addInventory) {
    const key = addInventory.closest(".dx-question").dataset.question;
    rowElements(key, "rows").forEach((row) => addMoveButtons(row, key, "rows"));
    addInventory.addEventListener("click", (event) => {
      event.preventDefault();
      addRow(key, "rows");
    });
  }
  form.querySelectorAll("[data-add-evidence]").forEach((button) => {
    button.hidden = false;
    const key = button.closest(".dx-question").dataset.question;
    button.addEventListener("click", () => addRow(key, "evidence"));
  });

  // What the page showed when it was opened (after a refused post: the tokens say it is not stored).
  form.querySelectorAll("input[data-token]").forEach((input) => {
    const match = input.name.match(/^v-(.+)-(value|note|evidence|rows)$/);
    if (match && !document.getElementById("save-report")) known.set(`${match[1]}:${match[2]}`, JSON.stringify(content(match[1], match[2])));
  });

  // --- After a form post with errors: the summary is focused ----------------------------------------
  const report = document.getElementById("save-report");
  if (report) report.focus();
  form.querySelectorAll("[aria-invalid=true], .is-invalid").forEach((input) => (input.dataset.serverError = "1"));
})();
