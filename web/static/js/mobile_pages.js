// The phone app's pages beyond 待办/已办 and one task. Each lives in its own module and exports
// `{ key, label, show }`; the list screen links to them (those without `nav: false`) and the app opens
// `#/{key}/{id}` with `show({ id, render, me, back })`, where `render(title, ...content)` draws a screen
// with a header and a way back to the list.

import { delegationsPage } from "./delegations_page.js";
import * as contacts from "./mobile_contacts.js";
import messages from "./mobile_messages.js";
import { mobileDocumentPage, mobileSearchPage } from "./mobile_search.js";
import notifySettings from "./mobile_notify_settings.js";
import supervision from "./mobile_supervision.js";
import { phrasesPage } from "./opinion_phrases.js";

export const MOBILE_PAGES = [mobileSearchPage, mobileDocumentPage, messages, notifySettings, phrasesPage, delegationsPage,
  contacts, supervision];
