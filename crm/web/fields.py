"""Form fields more than one blueprint's forms use."""
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """Several choices as tick boxes (big tap targets on a phone)."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
