"""The main window's commands, in its File menu and on its toolbar: Send now, Lock, Change
password, Sign out and Quit. The window connects them to what they do; the Lock action is the
SessionLocker's."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QToolBar


class MainActions(QObject):
    def __init__(self, window: QMainWindow, lock_action: QAction) -> None:
        super().__init__(window)
        self.send_now = QAction(self.tr("&Send now"), window)
        self.send_now.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.send_now.setStatusTip(self.tr("Send the reports in the outbox now"))
        self.change_password = QAction(self.tr("Change &password…"), window)
        self.sign_out = QAction(self.tr("Sign &out"), window)
        self.quit = QAction(self.tr("&Quit"), window)
        self.quit.setShortcut(QKeySequence.StandardKey.Quit)

        menu = window.menuBar().addMenu(self.tr("&File"))
        menu.addAction(self.send_now)
        menu.addSeparator()
        menu.addAction(lock_action)
        menu.addAction(self.change_password)
        menu.addAction(self.sign_out)
        menu.addAction(self.quit)

        toolbar = QToolBar(self.tr("Main"))
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addAction(self.send_now)
        toolbar.addAction(lock_action)
        toolbar.addAction(self.sign_out)
        window.addToolBar(toolbar)
