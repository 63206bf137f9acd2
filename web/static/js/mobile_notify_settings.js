// 提醒设置 (a page of the phone app and of the desk; one set per person): where reminders reach the person
// when the app is closed (this device's push, e-mail, 企业微信/钉钉 account, SMS to their mobile), which kinds
// they want, and quiet hours.
// 特急 always reaches every channel they set, whatever else is chosen here.

import { api, get } from "./api.js";
import { pushSupported, currentSubscription, subscribeThisDevice, unsubscribeThisDevice } from "./webpush_device.js";
import { errorText, h, toast, when } from "./ui.js";

const field = (label, input, note) => h("label", { class: "field" }, h("span", {}, label), input,
  note ? h("small", { class: "note" }, note) : null);

async function pushRow() {
  const status = h("span", { class: "push-status", id: "push-status" });
  const button = h("button", { class: "secondary", type: "button" });
  async function refresh() {
    const subscribed = await currentSubscription().catch(() => null);
    status.textContent = !pushSupported() ? "此浏览器不支持推送" : subscribed ? "本机已开启推送" : "本机未开启推送";
    button.textContent = subscribed ? "关闭本机推送" : "在本机开启推送";
    button.disabled = !pushSupported();
    button.onclick = async () => {
      button.disabled = true;
      try {
        if (subscribed) await unsubscribeThisDevice();
        else await subscribeThisDevice();
        toast(subscribed ? "已关闭本机推送" : "已开启本机推送");
      } catch (failure) { toast(failure.message || errorText(failure), "error"); }
      await refresh();
    };
  }
  await refresh();
  return h("div", { class: "field" }, h("span", {}, "本机推送"), status, button);
}

const CHANNEL_LABELS = { webpush: "浏览器推送", email: "电子邮件", wecom: "企业微信", dingtalk: "钉钉", sms: "短信" };
const STATUS_LABELS = { sent: "已发送", failed: "发送失败", pending: "等待发送", sending: "发送中", skipped: "未发送" };
const WHY_LABELS = { app_open: "应用已打开", kind_off: "未选此类消息", quiet_hours: "免打扰时段", gone: "消息已删除" };

// What was sent to the person lately, on which channel, and how it went: a channel that fails shows why.
async function sendLog() {
  const { items } = await get("/api/notifications/sends");
  const line = (send) => {
    const last = send.attempts.length ? send.attempts[send.attempts.length - 1] : null;
    let status = STATUS_LABELS[send.status] || send.status;
    if (send.status === "skipped" && send.why) status += `（${WHY_LABELS[send.why] || send.why}）`;
    if (send.status === "pending" && send.why === "quiet_hours") status = `免打扰结束后发送 ${when(send.next_at)}`;
    else if (send.status === "pending" && send.attempts.length) status = `将重试 ${when(send.next_at)}`;
    return h("li", { class: `send send-${send.status}` },
      h("span", { class: "send-channel" }, CHANNEL_LABELS[send.channel] || send.channel), " · ", status,
      h("span", { class: "send-time" }, when(last ? last.at : send.created_at)),
      last && !last.ok ? h("div", { class: "note" }, last.error) : null);
  };
  return h("section", { class: "send-log", "aria-label": "最近发送记录" }, h("h2", {}, "最近发送记录"),
    items.length ? h("ul", {}, items.slice(0, 10).map(line)) : h("p", { class: "note" }, "还没有发送到应用以外的提醒"));
}

export default {
  key: "notify",
  label: "提醒设置",
  async show({ render }) {
    const current = await get("/api/notifications/settings");
    const prefs = current.prefs;
    const has = (channel) => current.channels.some((item) => item.key === channel);
    const email = h("input", { type: "email", name: "email", value: prefs.email, placeholder: "name@example.gov.cn" });
    const wecom = h("input", { name: "wecom_user", value: prefs.wecom_user, placeholder: "企业微信账号 (UserID)" });
    const dingtalk = h("input", { name: "dingtalk_user", value: prefs.dingtalk_user, placeholder: "钉钉 userid" });
    const sms = h("input", { type: "checkbox", name: "sms", checked: prefs.sms, disabled: !current.mobile });
    const push = h("input", { type: "checkbox", name: "webpush", checked: prefs.webpush });
    const kinds = current.kinds.map((kind) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "kinds", value: kind.key, checked: prefs.kinds.includes(kind.key) }), ` ${kind.label}`));
    const quietStart = h("input", { type: "time", name: "quiet_start", value: prefs.quiet_start });
    const quietEnd = h("input", { type: "time", name: "quiet_end", value: prefs.quiet_end });
    const quietAction = h("select", { name: "quiet_action" },
      h("option", { value: "hold", selected: prefs.quiet_action === "hold" }, "免打扰结束后再提醒"),
      h("option", { value: "drop", selected: prefs.quiet_action === "drop" }, "不再提醒（只留在消息中）"));
    const save = h("button", { type: "submit", class: "primary" }, "保存");
    const form = h("form", { class: "card notify-settings", onsubmit: async (event) => {
      event.preventDefault();
      save.disabled = true;
      const body = {
        email: email.value.trim(), webpush: push.checked,
        kinds: kinds.map((label) => label.querySelector("input")).filter((box) => box.checked).map((box) => box.value),
        quiet_start: quietStart.value, quiet_end: quietEnd.value, quiet_action: quietAction.value,
      };
      if (has("wecom")) body.wecom_user = wecom.value.trim();
      if (has("dingtalk")) body.dingtalk_user = dingtalk.value.trim();
      if (has("sms") && current.mobile) body.sms = sms.checked;
      try {
        await api("PATCH", "/api/notifications/settings", body);
        toast("提醒设置已保存");
      } catch (failure) { toast(errorText(failure), "error"); }
      save.disabled = false;
    } },
      h("p", { class: "note" }, "应用关闭时，通过下列渠道提醒您。特急公文总是立即提醒，不受以下选择和免打扰时段限制。"),
      h("h2", {}, "提醒渠道"),
      await pushRow(),
      field("推送到已订阅的设备", push),
      field("电子邮箱", email),
      has("wecom") ? field("企业微信账号", wecom) : null,
      has("dingtalk") ? field("钉钉账号", dingtalk) : null,
      has("sms") ? field(`短信提醒${current.mobile ? `（${current.mobile}）` : ""}`, sms,
        current.mobile ? null : "没有登记手机号码，请联系管理员") : null,
      h("h2", {}, "提醒哪些消息"),
      h("div", { class: "checks" }, kinds),
      h("h2", {}, "免打扰时段"),
      h("div", { class: "quiet" }, field("开始时间", quietStart), field("结束时间", quietEnd)),
      field("免打扰时段内的非特急消息", quietAction),
      save,
      await sendLog());
    render("提醒设置", form);
  },
};
