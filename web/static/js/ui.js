// Small helpers the apps share: building elements safely, dates in Beijing time, badges, toasts.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const beijing = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});

export function when(iso) {
  return iso ? beijing.format(new Date(iso)) : "";
}

export function urgencyBadge(urgency) {
  if (!urgency) return null;
  return h("span", { class: `badge ${urgency === "特急" ? "badge-red" : "badge-orange"}` }, urgency);
}

export function dueLine(iso) {
  if (!iso) return null;
  const overdue = new Date(iso) < new Date();
  return h("span", { class: overdue ? "due overdue" : "due" }, `${overdue ? "已超时 · " : ""}截止 ${when(iso)}`);
}

let toastTimer = null;
export function toast(text, kind = "info") {
  let box = document.getElementById("toast");
  if (!box) {
    box = h("div", { id: "toast", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  box.textContent = text;
  box.className = `toast toast-${kind} show`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove("show"), 3500);
}

export function beep() {
  try {
    const context = new AudioContext();
    const tone = context.createOscillator();
    tone.frequency.value = 880;
    tone.connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.25);
  } catch { /* sound is optional */ }
}

export function errorText(error) {
  return error && error.message ? error.message : "操作失败，请稍后重试";
}
