"""The board domain's routes: phones' card writes (pages), uploads and media, console moderation,
the moderation API."""
