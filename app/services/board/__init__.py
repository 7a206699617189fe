"""The table board: posting contributions, dot votes, worries, moderation and the cards."""
