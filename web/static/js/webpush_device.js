// Web Push on this device: ask the person, subscribe with the service's VAPID key, hand the subscription
// to the service. Browser push services are often unreachable in mainland China, so this is one
// channel among others, never the only one.

import { get, post } from "./api.js";

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function keyBytes(base64url) {
  const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

export async function currentSubscription() {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration ? registration.pushManager.getSubscription() : null;
}

// Resolves to the saved subscription; rejects with a message a person can act on.
export async function subscribeThisDevice() {
  if (!pushSupported()) throw new Error("此浏览器不支持推送通知");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("没有得到通知权限：请在浏览器设置中允许本站发送通知");
  const registration = await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  const { public_key: key } = await get("/api/webpush/key");
  let subscription;
  try {
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  } catch (failure) {
    throw new Error(`浏览器的推送服务不可用（${failure.message || failure.name}），请改用企业微信、钉钉、短信或邮件提醒`);
  }
  return post("/api/webpush/subscriptions", { subscription: subscription.toJSON(), device: navigator.userAgent.slice(0, 120) });
}

export async function unsubscribeThisDevice() {
  const subscription = await currentSubscription();
  if (!subscription) return;
  await post("/api/webpush/subscriptions/remove", { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}
