"""Handoff to hotline staff: a pseudonymous two-way relay through a staff forum supergroup.

One forum topic per case, named by its random code; a summary card with Claim and Close;
survivor and staff texts copied (never forwarded) as the bot's own messages; staff commands
/cases, /note, /name, /close. See `bot.staff.desk.StaffDesk`.
"""
