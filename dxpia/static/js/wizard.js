// The assessment wizard: conditional questions, background saving of every field, conflicts and
// inventory rows. Without JavaScript the page still works: the form's buttons save everything,
// conflicts are shown by the server, and conditional questions appear after saving.
(function () {
  "use strict";
  const form = document.getElementById("section-form");
  if (!form) return;
  const status = document.getElementById("save-status");
  const csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  // The token is read from Django's cookie at each save, not kept from when the page was rendered:
  // signing in again in another tab renews it, and saves from this page then go on working.
  function csrf() {
    const cookie = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : csrfInput.value;
  }
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
  const failed = new Map(); // part -> {message, retry}: retried every 15 s, on focus and when back online
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
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      // The person the page was opened for: after signing in again as someone else, nothing typed
      // here is saved in that other person's name (the server refuses it).
      body: JSON.stringify({ question: key, part: part, base: base, value: sent.value, mark: sent.mark || "", user: Number(form.dataset.user) }),
      credentials: "same-origin",
    })
      .then((response) =>
        response
          .json()
          .catch(() => refusedWithoutJson(response.status))
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
          if (data.changed) document.querySelectorAll(`[data-carried="${key}"]`).forEach((el) => el.remove());
        } else if (response.status === 409 && data.conflict) {
          conflicts.add(id);
          failed.delete(id);
          showConflict(key, part, data, sent);
        } else {
          failed.set(id, { message: data.error || String(response.status), retry: Boolean(data.signed_out || data.retry) });
          setError(key, part, data.error || String(response.status));
          // The warning is about the stored value, which input refused as invalid no longer shows
          // (a refusal for another reason, 403 or 429, leaves the page as it was).
          if (part === "value" && response.status === 400) showWarning(key, "");
          if (data.rows) setRowErrors(key, part, data.rows);
        }
        render();
      })
      .catch(() => {
        inFlight -= 1;
        const message = gettext("通信できませんでした。入力は画面に残っています。通信が戻ると自動で保存します。");
        failed.set(id, { message: message, retry: true });
        setError(key, part, message);
        render();
      });
  }
  // A refusal that is not the app's JSON answer: a page of Django's or of a proxy in front of it.
  function refusedWithoutJson(code) {
    if (code >= 500) {
      return { ok: false, retry: true, error: interpolate(gettext("サーバーが一時的に応答できませんでした（%s）。入力は画面に残っています。少し後に自動で保存し直します。"), [code]) };
    }
    if (code === 403) {
      return { ok: false, error: gettext("保存を断られました（403）。この評価を編集する権限がなくなったか、安全のための確認に失敗しました。入力は画面に残っています。内容を控えてから、ページを読み込み直してください。") };
    }
    if (code === 404) {
      return { ok: false, error: gettext("この評価が見つからないか、いまログインしているアカウントでは編集できません（404）。入力は画面に残っています。内容を控えてください。") };
    }
    return { ok: false, error: interpolate(gettext("保存できませんでした（%s）。入力は画面に残っています。"), [code]) };
  }
  function retryNetworkFailures() {
    failed.forEach((failure, id) => {
      if (failure.retry) {
        const [key, part] = id.split(":");
        enqueue(key, part);
      }
    });
  }
  window.addEventListener("online", retryNetworkFailures);
  window.addEventListener("focus", retryNetworkFailures); // back from the tab where one signed in again
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
    csrfInput.value = csrf(); // the form's buttons too save after signing in again elsewhere
    timers.forEach((timer) => clearTimeout(timer));
  });

  // --- Adding, removing and moving rows -------------------------------------------------------------
  function appendRow(key, part) {
    const prefix = rowPrefix(key, part);
    const total = form.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const template = part === "rows" ? document.getElementById("inventory-empty-row") : question(key).querySelector("template.dx-empty-row");
    const index = Number(total.value);
    const html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(rowElements(key, part).length + 1));
    rowContainer(key, part).insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    const rows = rowElements(key, part);
    const last = rows[rows.length - 1];
    if (part === "rows") setUpInventoryRow(last, key);
    return last;
  }
  function addRow(key, part) {
    if (part === "rows" && !roomFor(1)) return;
    appendRow(key, part).querySelector("input[type=text], input:not([type])").focus();
    if (part === "rows") renumber(key, part);
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
    if (part === "rows") renumber(key, part);
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
      if (part === "rows") {
        row.querySelector(".dx-row-number").textContent = String(index + 1);
        updateRowName(row);
      }
    });
    if (part === "rows") {
      const caption = document.getElementById("inventory-caption");
      if (caption) caption.textContent = interpolate(gettext("データ項目一覧（%s行）"), [rowElements(key, part).length]);
    }
  }

  // --- The data inventory: names, flags, row actions, pasting from a spreadsheet --------------------
  const inventory = document.getElementById("inventory");
  const inventoryStatus = document.getElementById("inventory-status");
  // The columns in the order of the page (answer_saving.ROW_FIELDS).
  const FIELDS = ["data_item", "necessity", "sensitive", "children", "purpose", "legal_basis", "category", "held_by", "retention", "shared_with_vendor", "note"];
  const CHOICE_FIELDS = new Set(["sensitive", "children", "shared_with_vendor"]);
  // The words a yes/no cell may say: the same list as a file import (inventory_io.YES_NO_WORDS).
  const wordsScript = document.getElementById("inventory-yes-no-words");
  const CHOICE_WORDS = wordsScript ? JSON.parse(wordsScript.textContent) : {};
  function announce(text) {
    if (!inventoryStatus) return;
    inventoryStatus.textContent = "";
    setTimeout(() => (inventoryStatus.textContent = text), 50);
  }
  function inventoryKey() {
    return inventory.closest(".dx-question").dataset.question;
  }
  function fieldOf(element) {
    return (element.name || "").replace(/^.*-\d+-/, "");
  }
  function input(row, field) {
    return row.querySelector(`[name$="-${field}"]`);
  }
  function maxRows() {
    const max = form.querySelector('input[name="inv-MAX_NUM_FORMS"]');
    return max ? Number(max.value) : 500;
  }
  function roomFor(count) {
    if (rowElements(inventoryKey(), "rows").length + count <= maxRows()) return true;
    announce(interpolate(gettext("データ項目一覧は%s行までです。"), [maxRows()]));
    const box = document.getElementById(`err-${inventoryKey()}-rows`);
    if (box) box.textContent = interpolate(gettext("データ項目一覧は%s行までです。"), [maxRows()]);
    return false;
  }
  function rowName(row) {
    const name = (input(row, "data_item") || { value: "" }).value.trim();
    return name || interpolate(gettext("%s行目"), [rowElements(inventoryKey(), "rows").indexOf(row) + 1]);
  }
  // Each control is named by its row: 「削除: 住民記録データ」 (the buttons by aria-label, which
  // starts with their visible word; the labels of the fields by a visually hidden part).
  function updateRowName(row) {
    const name = rowName(row);
    row.querySelectorAll(".dx-rowname").forEach((span) => (span.textContent = name));
    row.querySelectorAll("[data-row-action]").forEach((button) => {
      button.setAttribute("aria-label", `${button.querySelector(".dx-action-text").textContent}: ${name}`);
    });
  }
  function updateFlag(row) {
    const value = (field) => (input(row, field) || { value: "" }).value.trim();
    const flagged = value("sensitive") === "yes" && !(value("necessity") && value("legal_basis"));
    row.classList.toggle("dx-flagged", flagged);
    const flag = row.querySelector(".dx-row-flag");
    if (flag) flag.hidden = !flagged;
  }
  function rowButton(text, action) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary btn-sm";
    button.dataset.rowAction = action;
    const visible = document.createElement("span");
    visible.className = "dx-action-text";
    visible.textContent = text;
    button.append(visible);
    return button;
  }
  function setUpInventoryRow(row, key) {
    if (row.querySelector("[data-row-action]")) return;
    const cell = row.querySelector(".dx-cell-actions");
    const checkbox = row.querySelector("[data-delete]");
    checkbox.closest(".form-check").hidden = true;
    const actions = document.createElement("div");
    actions.className = "dx-row-actions";
    const up = rowButton(gettext("上へ"), "up");
    const down = rowButton(gettext("下へ"), "down");
    const copy = rowButton(gettext("複製"), "duplicate");
    const remove = rowButton(checkbox.checked ? gettext("元に戻す") : gettext("削除"), "delete");
    actions.append(up, down, copy, remove);
    cell.prepend(actions);
    const pending = row.querySelector(".dx-pending-delete");
    if (pending && pending.dataset.savedText) pending.textContent = pending.dataset.savedText;  // saved at once here
    updateRowName(row);
  }
  function moveRow(row, direction, button) {
    const sibling = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
    if (!sibling) return;
    if (direction === "up") sibling.before(row);
    else sibling.after(row);
    renumber(inventoryKey(), "rows");
    button.focus();
    announce(interpolate(gettext("「%s」を%s行目に移しました。"), [rowName(row), rowElements(inventoryKey(), "rows").indexOf(row) + 1]));
    schedule(inventoryKey(), "rows", 0);
  }
  function duplicateRow(row) {
    if (!roomFor(1)) return;
    const key = inventoryKey();
    const copy = appendRow(key, "rows");
    FIELDS.forEach((field) => {
      const from = input(row, field);
      const to = input(copy, field);
      if (from && to) to.value = from.value;
    });
    row.after(copy);
    renumber(key, "rows");
    updateFlag(copy);
    input(copy, "data_item").focus();
    announce(interpolate(gettext("「%s」を複製しました（%s行目）。"), [rowName(copy), rowElements(key, "rows").indexOf(copy) + 1]));
    schedule(key, "rows", 0);
  }
  function toggleDelete(row, button) {
    const checkbox = row.querySelector("[data-delete]");
    checkbox.checked = !checkbox.checked;
    button.querySelector(".dx-action-text").textContent = checkbox.checked ? gettext("元に戻す") : gettext("削除");
    updateRowName(row);
    announce(
      checkbox.checked
        ? interpolate(gettext("「%s」を削除しました。「元に戻す」で戻せます。"), [rowName(row)])
        : interpolate(gettext("「%s」を元に戻しました。"), [rowName(row)])
    );
    schedule(inventoryKey(), "rows", 0);
  }

  // Pasting cells copied from Excel or LibreOffice: tab-separated, lines by CR LF or LF, and a cell
  // holding a line break, tab or quote in double quotes with "" for a quote.
  function parseCells(text) {
    const rows = [];
    let row = [];
    let cell = "";
    let quoted = false;
    let started = false;
    for (let i = 0; i < text.length; i += 1) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          cell += '"';
          i += 1;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"' && cell === "" && !started) {
        quoted = true;
        started = true;
      } else if (c === "\t") {
        row.push(cell);
        cell = "";
        started = false;
      } else if (c === "\r" || c === "\n") {
        row.push(cell);
        rows.push(row);
        row = [];
        cell = "";
        started = false;
        if (c === "\r" && text[i + 1] === "\n") i += 1;
      } else {
        cell += c;
        started = true;
      }
    }
    if (cell !== "" || row.length) {
      row.push(cell);
      rows.push(row);
    }
    return rows;
  }
  function choiceOf(text) {
    const word = text.normalize("NFKC").trim().toLowerCase();
    return Object.keys(CHOICE_WORDS).find((value) => CHOICE_WORDS[value].includes(word));
  }
  function headerFields() {
    const names = {};
    const empty = document.getElementById("inventory-empty-row").content;
    FIELDS.forEach((field) => {
      names[field] = field;
      const label = empty.querySelector(`[name$="-${field}"]`);
      const text = label && empty.querySelector(`label[for="${label.id}"] .dx-col`);
      if (text) names[text.textContent.trim()] = field;
    });
    document.querySelectorAll(".dx-inventory thead th[class^=dx-head-]").forEach((th) => {
      names[th.textContent.trim()] = th.className.replace("dx-head-", "");
    });
    return names;
  }
  function pasteCells(target, text) {
    const key = inventoryKey();
    let lines = parseCells(text);
    if (!lines.length) return false;
    const names = headerFields();
    const first = lines[0].map((cell) => cell.trim());
    let columns;
    if (first.some((cell) => cell) && first.every((cell) => !cell || cell in names)) {
      columns = first.map((cell) => (cell ? names[cell] : null));
      lines = lines.slice(1);
    } else {
      const start = FIELDS.indexOf(fieldOf(target));
      columns = lines[0].map((cell, j) => FIELDS[start + j] || null);
      const widest = Math.max(...lines.map((line) => line.length));
      for (let j = columns.length; j < widest; j += 1) columns.push(FIELDS[start + j] || null);
    }
    // Rows marked 削除 are passed over (their input would not be saved); the row pasted into is
    // restored if it was one of them.
    const targetRow = target.closest("tr.dx-inventory-row");
    const deleted = (row) => row.querySelector("[data-delete]").checked;
    if (deleted(targetRow)) toggleDelete(targetRow, targetRow.querySelector("[data-row-action=delete]"));
    const live = () => rowElements(key, "rows").filter((row) => !deleted(row));
    const rows = live();
    const startRow = rows.indexOf(targetRow);
    const needed = Math.max(0, startRow + lines.length - rows.length);
    if (needed && !roomFor(needed)) return true;
    const unread = [];
    let dropped = 0;
    lines.forEach((line, k) => {
      const row = live()[startRow + k] || appendRow(key, "rows");
      line.forEach((cell, j) => {
        const field = columns[j];
        const element = field && input(row, field);
        if (!element) {
          if (cell.trim()) dropped += 1;
          return;
        }
        if (CHOICE_FIELDS.has(field)) {
          const value = choiceOf(cell);
          if (value) element.value = value;
          else unread.push(interpolate(gettext("%s行目の「%s」"), [startRow + k + 1, cell]));
        } else {
          element.value = cell.trim();
        }
      });
      updateFlag(row);
    });
    renumber(key, "rows");
    let message = interpolate(gettext("%s行を貼り付けました（うち%s行を追加）。"), [lines.length, needed]);
    if (unread.length) message += " " + interpolate(gettext("はい・いいえ・不明として読めなかった値（そのままにしました）: %s"), [unread.join("、")]);
    if (dropped) message += " " + interpolate(gettext("入る列がないため貼り付けなかったセル: %s個"), [dropped]);
    announce(message);
    schedule(key, "rows", 0);
    return true;
  }

  if (inventory && form.querySelector("[data-add-row]")) {
    const key = inventoryKey();
    inventory.querySelectorAll(".dx-js-only").forEach((element) => (element.hidden = false));
    rowElements(key, "rows").forEach((row) => setUpInventoryRow(row, key));
    form.querySelector("[data-add-row]").addEventListener("click", (event) => {
      event.preventDefault();
      addRow(key, "rows");
    });
    inventory.addEventListener("click", (event) => {
      const button = event.target.closest("[data-row-action]");
      if (!button) return;
      const row = button.closest("tr.dx-inventory-row");
      const action = button.dataset.rowAction;
      if (action === "up" || action === "down") moveRow(row, action, button);
      else if (action === "duplicate") duplicateRow(row);
      else if (action === "delete") toggleDelete(row, button);
    });
    inventory.addEventListener("input", (event) => {
      const row = event.target.closest("tr.dx-inventory-row");
      if (!row) return;
      if (fieldOf(event.target) === "data_item") updateRowName(row);
      updateFlag(row);
    });
    inventory.addEventListener("change", (event) => {
      const row = event.target.closest("tr.dx-inventory-row");
      if (row) updateFlag(row);
    });
    inventory.addEventListener("paste", (event) => {
      const target = event.target;
      if (!target.closest || !target.closest("tr.dx-inventory-row") || !FIELDS.includes(fieldOf(target))) return;
      const text = (event.clipboardData || window.clipboardData).getData("text/plain");
      const multiline = /[\r\n]/.test(text.replace(/[\r\n]+$/, ""));
      if (!text.includes("\t") && multiline && target.tagName === "TEXTAREA") {
        // One cell holding line breaks, as Excel copies it: in quotes, with "" for a quote.
        const cell = text.replace(/\r?\n$/, "").match(/^"((?:[^"]|"")*)"$/);
        if (!cell) return;
        event.preventDefault();
        target.setRangeText(cell[1].replace(/""/g, '"'), target.selectionStart, target.selectionEnd, "end");
        target.dispatchEvent(new Event("input", { bubbles: true }));
        return;
      }
      if (!text.includes("\t") && !multiline) return;
      if (pasteCells(target, text)) event.preventDefault();
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
  // A choice made or text typed before this script ran (a slow page, a quick hand) fired no event
  // here: it is saved now, based on the versions the page was sent with. (The form has
  // autocomplete="off", so no value restored by the browser from an earlier visit is taken for one.)
  form.querySelectorAll("input, textarea, select").forEach((element) => {
    if (!element.name || element.type === "hidden" || element.closest("template, .dx-conflict")) return;
    const changed = ["radio", "checkbox"].includes(element.type) ? element.checked !== element.defaultChecked
      : element.tagName === "SELECT" ? element.value !== (Array.from(element.options).find((option) => option.defaultSelected) || element.options[0] || { value: element.value }).value
      : element.value !== element.defaultValue;
    const found = changed && partOf(element);
    if (!found) return;
    known.delete(`${found[0]}:${found[1]}`);
    schedule(found[0], found[1], 0);
  });

  // --- After a form post with errors: the summary is focused ----------------------------------------
  const report = document.getElementById("save-report");
  if (report) report.focus();
  form.querySelectorAll("[aria-invalid=true], .is-invalid").forEach((input) => (input.dataset.serverError = "1"));
})();
