"""Networks: local groups, members, meetings, attendance, meetings run as cafés with invites,
and the groups' calendars."""
