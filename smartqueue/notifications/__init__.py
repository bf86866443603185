"""Notifications: every message to a customer, on every channel (in-app, email, web push,
SMS), written with its status before it is sent, and sent by jobs with retries.

kinds        what each kind is (its preference group, whether quiet hours hold it)
recipients   who a ticket's or appointment's notices go to, on which channels
texts        the words of each kind on each channel, in the holder's language
operations   the writes: notices, preferences, opt-outs, push subscriptions, reads
delivery     sending one notice through its channel's adapter, honestly
queries      the reads: the bell, a history, a branch's failures, SMS counts
"""
