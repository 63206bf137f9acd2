// The desk's pages beyond its core ones (待办, 拟稿, 我的公文, 收文, 发文分发). Each lives in its own
// module and exports `{ key, label, show }`; the desk lists them in its menu and opens `#/{key}/{id}`
// with `show({ id, render, me, unit, push })`, where `render(title, ...content)` draws the desk frame.
// A page with `nav: false` is opened from links only; one with `visible(me)` is in the menu only for those it
// is for.

import { delegationsPage } from "./delegations_page.js";
import archive from "./desk_archive.js";
import circulate from "./desk_circulate.js";
import * as contacts from "./desk_contacts.js";
import forward from "./desk_forward.js";
import { deskHandoverPage } from "./desk_handover.js";
import { huiban, huibanReplies, huibanSend } from "./desk_huiban.js";
import messages from "./desk_messages.js";
import notifySettings from "./mobile_notify_settings.js";
import paper from "./desk_paper.js";
import { deskSearchPage } from "./desk_search.js";
import supervision from "./desk_supervision.js";
import task from "./desk_task.js";

export const DESK_PAGES = [deskSearchPage, messages, notifySettings, paper, supervision, forward, circulate, huiban,
  huibanReplies, huibanSend, delegationsPage, deskHandoverPage, contacts, archive, task];
