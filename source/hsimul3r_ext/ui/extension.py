"""Kit extension: a menu entry that opens a converted HSI folder's scene in the stage. Kit-only."""

from __future__ import annotations

import carb
import omni.ext
import omni.usd
from omni.kit.menu.utils import MenuItemDescription, add_menu_items, remove_menu_items
from omni.kit.window.filepicker import FilePickerDialog

from .scene_path import scene_to_open

MENU = "HSImul3R"


class HSImul3RExtension(omni.ext.IExt):
    """Adds HSImul3R > Open Converted Scene..., nothing else; the work happens in the `hsimul3r` CLI."""

    def on_startup(self, ext_id: str) -> None:
        self._dialog: FilePickerDialog | None = None
        self._menu = [MenuItemDescription(name="Open Converted Scene...", onclick_fn=self._show_picker)]
        add_menu_items(self._menu, MENU)

    def on_shutdown(self) -> None:
        remove_menu_items(self._menu, MENU)
        if self._dialog is not None:
            self._dialog.destroy()
            self._dialog = None

    def _show_picker(self) -> None:
        if self._dialog is None:
            self._dialog = FilePickerDialog(
                "Open a converted HSI folder", apply_button_label="Open", click_apply_handler=self._open
            )
        self._dialog.show()

    def _open(self, filename: str, dirname: str) -> None:
        self._dialog.hide()
        picked = f"{dirname}/{filename}" if filename else dirname
        try:
            scene = scene_to_open(picked)
        except FileNotFoundError as err:
            carb.log_error(str(err))
            return
        omni.usd.get_context().open_stage(str(scene))
