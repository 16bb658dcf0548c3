"""Work off the GUI thread for the views: the compute scheduler (engine forward, newest
request wins), the display data it draws in the worker (render), the colour maps.
"""
