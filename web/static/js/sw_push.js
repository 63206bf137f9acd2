// Service worker part: Web Push notifications (filled in by its own module's work).
