"""Run-time files of chessgru: the app icon and the shipped base model.

Installed as the package ``chessgru.assets``; read them with :func:`chessgru.paths.asset`.
"""
