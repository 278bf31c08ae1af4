"""Live follow of a transcript: CometD long-polling, polling fallback, cursor and dedupe."""
