// The in-page evidence viewer of the case page (issue 11): a click on a voucher opens it
// large in <dialog data-test="evidence-viewer">; zoom (buttons, wheel, + / - / 0) and pan
// (drag); previous / next through all the case's evidence (arrow keys); "side by side"
// puts a buyer's and a seller's evidence next to each other; the side panel shows the
// file's facts (sha256 in full, copyable). PDFs are drawn in the page by the vendored
// pdf.js (static/vendor/pdfjs-*), loaded only when a PDF is first shown; the bytes come
// from the same staff-only evidence view as the images. All text is set as text.
const dialog = document.getElementById("evidence-viewer");
const dataNode = document.getElementById("evidence-data");

if (dialog && dataNode) {
  const items = JSON.parse(dataNode.textContent);
  const byId = new Map(items.map((item, index) => [item.id, index]));
  const panes = Array.from(dialog.querySelectorAll(".viewer-pane")).map((node) => ({
    node,
    stage: node.querySelector(".viewer-stage"),
    content: node.querySelector(".viewer-content"),
    pick: node.querySelector(".js-pick-evidence"),
    index: 0,
    scale: 1,
    x: 0,
    y: 0,
    token: 0,
  }));
  let active = 0;
  let comparing = false;
  const MIN = 0.25;
  const MAX = 8;
  const PDF_PAGES = 5;
  let pdfjs = null;

  const text = (name) => dialog.getAttribute(`data-${name}-text`) || "";

  // --- the pick lists (side by side: each pane chooses its evidence) -------------------
  for (const pane of panes) {
    for (const item of items) {
      const option = document.createElement("option");
      option.value = String(item.id);
      option.textContent = `${item.party_label} · ${item.kind} · #${item.id}`;
      pane.pick.appendChild(option);
    }
    pane.pick.addEventListener("change", () => {
      show(panes.indexOf(pane), byId.get(Number(pane.pick.value)));
    });
  }

  // --- zoom and pan ----------------------------------------------------------------------
  function apply(pane) {
    pane.content.style.transform = `translate(${pane.x}px, ${pane.y}px) scale(${pane.scale})`;
    pane.stage.dataset.scale = pane.scale.toFixed(2);
    if (pane === panes[active]) {
      dialog.querySelector(".js-zoom-level").textContent = `${Math.round(pane.scale * 100)}%`;
    }
  }

  function zoom(pane, factor) {
    pane.scale = Math.min(MAX, Math.max(MIN, pane.scale * factor));
    if (pane.scale === 1) pane.x = pane.y = 0;
    apply(pane);
  }

  function reset(pane) {
    pane.scale = 1;
    pane.x = pane.y = 0;
    apply(pane);
  }

  for (const pane of panes) {
    pane.stage.addEventListener("wheel", (event) => {
      event.preventDefault();
      activate(panes.indexOf(pane));
      zoom(pane, event.deltaY < 0 ? 1.2 : 1 / 1.2);
    }, { passive: false });
    let drag = null;
    pane.stage.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      activate(panes.indexOf(pane));
      drag = { x: event.clientX - pane.x, y: event.clientY - pane.y };
      pane.stage.setPointerCapture(event.pointerId);
      pane.stage.classList.add("dragging");
    });
    pane.stage.addEventListener("pointermove", (event) => {
      if (!drag) return;
      pane.x = event.clientX - drag.x;
      pane.y = event.clientY - drag.y;
      apply(pane);
    });
    const stop = () => {
      drag = null;
      pane.stage.classList.remove("dragging");
    };
    pane.stage.addEventListener("pointerup", stop);
    pane.stage.addEventListener("pointercancel", stop);
    pane.node.addEventListener("focusin", () => activate(panes.indexOf(pane)));
  }

  // --- what a pane shows -----------------------------------------------------------------
  async function loadPdfjs() {
    if (!pdfjs) {
      pdfjs = await import(dialog.dataset.pdfjs);
      pdfjs.GlobalWorkerOptions.workerSrc = dialog.dataset.pdfjsWorker;
    }
    return pdfjs;
  }

  // The loading task: its destroy() frees the document (PDFDocumentProxy has none).
  async function openPdf(url) {
    const lib = await loadPdfjs();
    const task = lib.getDocument({
      url,
      withCredentials: true,
      isEvalSupported: false,
      enableXfa: false,
      standardFontDataUrl: dialog.dataset.pdfjsFonts,
      cMapUrl: dialog.dataset.pdfjsCmaps,
      cMapPacked: true,
    });
    task.doc = await task.promise;
    return task;
  }

  async function drawPdf(pane, item, token) {
    const task = await openPdf(item.url);
    if (token !== pane.token) {
      task.destroy();
      return;
    }
    pane.doc = task;
    const { doc } = task;
    const pages = Math.min(doc.numPages, PDF_PAGES);
    for (let n = 1; n <= pages; n += 1) {
      if (token !== pane.token) return;
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: 1.5 });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.setAttribute("aria-label", text("page").replace("%(n)s", n).replace("%(total)s", doc.numPages));
      canvas.dataset.page = String(n);
      pane.content.appendChild(canvas);
      await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    }
    pane.content.dataset.rendered = String(pages);
  }

  function show(paneIndex, index) {
    const pane = panes[paneIndex];
    const item = items[index];
    if (!item) return;
    pane.index = index;
    pane.token += 1;
    const token = pane.token;
    pane.pick.value = String(item.id);
    if (pane.doc) {
      pane.doc.destroy();  // a PDF shown before: free its worker-side memory
      pane.doc = null;
    }
    pane.content.replaceChildren();
    pane.content.classList.toggle("is-pdf", item.pdf);
    delete pane.content.dataset.rendered;
    reset(pane);
    if (item.pdf) {
      drawPdf(pane, item, token).catch(() => {
        if (token !== pane.token) return;
        const error = document.createElement("p");
        error.className = "viewer-error";
        error.textContent = text("error");
        pane.content.replaceChildren(error);
      });
    } else {
      const img = document.createElement("img");
      img.src = item.url;
      img.alt = `${item.party_label} · ${item.kind} · #${item.id}`;
      img.draggable = false;
      img.addEventListener("load", () => { pane.content.dataset.rendered = "1"; });
      pane.content.appendChild(img);
    }
    if (paneIndex === active) describe(item);
  }

  function describe(item) {
    dialog.querySelector(".viewer-title").textContent =
      `${item.party_label} · ${item.kind} · #${item.id}`;
    dialog.querySelector(".viewer-pos").textContent =
      `${items.indexOf(item) + 1} / ${items.length}`;
    const values = {
      ...item,
      file: [item.content_type, `${Math.round(item.size / 1024)} KB`,
        item.width ? `${item.width}×${item.height}` : ""].filter(Boolean).join(" · "),
    };
    dialog.querySelectorAll("[data-field]").forEach((node) => {
      const value = values[node.dataset.field];
      node.textContent = value ? String(value) : (node.dataset.empty || "");
    });
    dialog.querySelector(".viewer-mismatch").hidden = !item.payer_mismatch;
    dialog.querySelector(".js-open-tab").href = item.url;
    const list = dialog.querySelector(".viewer-extracted");
    list.replaceChildren();
    for (const [label, value] of item.extracted || []) {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      list.append(dt, dd);
    }
    dialog.querySelector(".viewer-extracted-none").hidden = (item.extracted || []).length > 0;
    const traces = dialog.querySelector(".viewer-traces");
    traces.replaceChildren(
      ...(item.edit_traces || []).map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }),
    );
    traces.hidden = (item.edit_traces || []).length === 0;
  }

  function activate(paneIndex) {
    if (paneIndex < 0 || paneIndex === active) return;
    active = paneIndex;
    panes.forEach((pane, n) => pane.node.classList.toggle("is-active", comparing && n === active));
    describe(items[panes[active].index]);
    apply(panes[active]);
  }

  function step(delta) {
    const pane = panes[active];
    show(active, (pane.index + delta + items.length) % items.length);
  }

  // Side by side: the other pane shows the latest evidence of the other party.
  function compare(on) {
    comparing = on;
    dialog.classList.toggle("comparing", on);
    dialog.querySelector(".js-compare-toggle").setAttribute("aria-pressed", String(on));
    panes[1].node.hidden = !on;
    if (on) {
      const current = items[panes[0].index];
      const other = current.party === "buyer" ? "seller" : "buyer";
      let pick = -1;
      items.forEach((item, n) => { if (item.party === other) pick = n; });
      show(1, pick === -1 ? panes[0].index : pick);
    } else {
      active = 0;
    }
    panes.forEach((pane, n) => pane.node.classList.toggle("is-active", on && n === active));
    describe(items[panes[active].index]);
  }

  function open(index, { side = false } = {}) {
    active = 0;
    show(0, index);
    compare(side);
    if (window.deskOpenDialog) window.deskOpenDialog(dialog);
    else dialog.showModal();
    panes[0].stage.focus();
  }

  // --- wiring ------------------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest(".js-view");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const index = byId.get(Number(link.dataset.evidence));
    if (index === undefined) return;
    event.preventDefault();
    open(index);
  });
  const compareButton = document.querySelector(".js-compare");
  if (compareButton) {
    compareButton.addEventListener("click", () => {
      const buyer = items.map((item, n) => [item, n]).filter(([item]) => item.party === "buyer").pop();
      open(buyer ? buyer[1] : items.length - 1, { side: true });
    });
  }
  dialog.querySelector(".js-prev").addEventListener("click", () => step(-1));
  dialog.querySelector(".js-next").addEventListener("click", () => step(1));
  dialog.querySelector(".js-zoom-in").addEventListener("click", () => zoom(panes[active], 1.25));
  dialog.querySelector(".js-zoom-out").addEventListener("click", () => zoom(panes[active], 1 / 1.25));
  dialog.querySelector(".js-zoom-reset").addEventListener("click", () => reset(panes[active]));
  dialog.querySelector(".js-compare-toggle").addEventListener("click", () => compare(!comparing));
  dialog.querySelector(".js-close").addEventListener("click", () => dialog.close());
  dialog.querySelector(".js-copy-sha").addEventListener("click", async (event) => {
    const sha = items[panes[active].index].sha256;
    const button = event.currentTarget;
    try {
      await navigator.clipboard.writeText(sha);
    } catch (error) {
      // No clipboard permission: select the text so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(dialog.querySelector("[data-field=sha256]"));
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      return;
    }
    const label = button.textContent;
    button.textContent = text("copied");
    window.setTimeout(() => { button.textContent = label; }, 1500);
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.target.closest("select, input, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    const keys = {
      ArrowLeft: () => step(-1),
      ArrowRight: () => step(1),
      "+": () => zoom(panes[active], 1.25),
      "=": () => zoom(panes[active], 1.25),
      "-": () => zoom(panes[active], 1 / 1.25),
      0: () => reset(panes[active]),
    };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
  dialog.addEventListener("close", () => {
    panes.forEach((pane) => {
      pane.token += 1;
      pane.content.replaceChildren();
      if (pane.doc) pane.doc.destroy();
      pane.doc = null;
    });
  });

  // The latest voucher of each party, when a PDF: its first page as the preview, so a
  // bank statement reads next to the chat like a screenshot does.
  document.querySelectorAll(".voucher-latest .thumb.pdf").forEach(async (thumb) => {
    const item = items[byId.get(Number(thumb.dataset.evidence))];
    if (!item) return;
    try {
      const task = await openPdf(item.url);
      const page = await task.doc.getPage(1);
      const base = page.getViewport({ scale: 1 });
      const width = Math.max(thumb.clientWidth, 160) * (window.devicePixelRatio || 1);
      const viewport = page.getViewport({ scale: width / base.width });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.setAttribute("aria-hidden", "true");
      await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
      thumb.appendChild(canvas);
      thumb.classList.add("has-preview");
      task.destroy();
    } catch (error) {
      // The "PDF" label stays; the viewer says why it cannot draw the file.
    }
  });
}
