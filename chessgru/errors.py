"""The one exception type that reaches the user as a plain sentence."""


class UserError(Exception):
    """Bad input or an unusable file: the CLI prints the message and exits with 2.

    Raise it with one sentence a person can act on ("no PGN files in ./games"), never with
    a traceback's worth of detail; the GUI shows the same sentence in a dialog.
    """

    exit_code = 2
