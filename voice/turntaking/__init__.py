"""Turn-taking: when the caller has started, paused, finished or talked over the bot.

Pure and socket-free, between the dialog (below) and the live call (above):
``detector`` turns 20 ms frames into speech events, ``ending`` decides how long a pause must
last before the bot answers, ``backchannel`` whether speech over the bot should stop it,
``overlap`` keeps the barge-in bookkeeping (pause, resume or stop the bot) and ``early`` the
replies begun before their turn was taken and those the caller cut off.
"""
