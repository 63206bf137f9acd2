// Personal 常用语: the phone page that keeps them (add, move up or down, delete; stored by the service, so
// the desk and every phone of the person show the same list), and the chips the task screen shows after
// the built-in phrases. A tap on a chip puts the phrase into the opinion box.

import { api, get, post } from "./api.js";
import { errorText, h, toast } from "./ui.js";

export async function myPhrases() {
  try {
    return (await get("/api/me/phrases")).items;
  } catch {
    return [];  // offline or not loaded: the built-in phrases still work
  }
}

// The chip row of the opinion box: built-in phrases, then the person's own (loaded after the screen shows).
export function phraseChips(builtIn, opinion) {
  const chips = h("div", { class: "chips" });
  const chip = (phrase, mine) => h("button", { type: "button", class: mine ? "chip mine" : "chip", onclick: (event) => {
    opinion.value = phrase;
    for (const other of chips.children) other.setAttribute("aria-pressed", String(other === event.currentTarget));
    const at = phrase.indexOf("XX");
    if (at >= 0) { opinion.focus(); opinion.setSelectionRange(at, at + 2); }
  } }, phrase);
  chips.append(...builtIn.map((phrase) => chip(phrase, false)));
  myPhrases().then((items) => {
    const shown = new Set(builtIn);
    chips.append(...items.filter((item) => !shown.has(item.text)).map((item) => chip(item.text, true)));
  });
  return chips;
}

async function showPhrases({ render }) {
  const { items, max } = await get("/api/me/phrases");
  const save = async (action, done) => {
    try {
      await action();
      if (done) toast(done, "ok");
    } catch (failure) { toast(errorText(failure), "error"); }
    showPhrases({ render });
  };
  const move = (index, by) => {
    const ids = items.map((item) => item.id);
    [ids[index], ids[index + by]] = [ids[index + by], ids[index]];
    save(() => api("PUT", "/api/me/phrases/order", { ids }));
  };
  const text = h("input", { id: "new-phrase", maxlength: 100, placeholder: "如：请办公室牵头落实", "aria-label": "新常用语" });
  const add = () => {
    if (!text.value.trim()) { toast("请输入常用语", "warn"); text.focus(); return; }
    save(() => post("/api/me/phrases", { text: text.value.trim() }), "已添加");
  };
  text.addEventListener("keydown", (event) => { if (event.key === "Enter") add(); });
  render("常用语",
    h("section", { class: "card" }, h("h2", {}, `我的常用语（${items.length}/${max}）`),
      h("p", { class: "muted" }, "办理时显示在“同意”“已阅”等系统常用语之后，轻点即可填入意见。"),
      items.length ? h("ol", { class: "phrases", id: "my-phrases" }, items.map((item, index) => h("li", {},
        h("span", { class: "phrase-text" }, item.text),
        h("span", { class: "phrase-tools" },
          h("button", { type: "button", class: "link", disabled: index === 0, "aria-label": `上移：${item.text}`,
            onclick: () => move(index, -1) }, "↑"),
          h("button", { type: "button", class: "link", disabled: index === items.length - 1,
            "aria-label": `下移：${item.text}`, onclick: () => move(index, 1) }, "↓"),
          h("button", { type: "button", class: "link danger", "aria-label": `删除：${item.text}`,
            onclick: () => save(() => api("DELETE", `/api/me/phrases/${item.id}`), "已删除") }, "删除")))))
        : h("p", { class: "empty" }, "还没有自己的常用语")),
    h("section", { class: "card" }, h("h2", {}, "添加常用语"), text,
      h("div", { class: "buttons" }, h("button", { class: "primary", type: "button", id: "add-phrase", onclick: add }, "添加"))));
}

export const phrasesPage = { key: "phrases", label: "常用语", show: showPhrases };
