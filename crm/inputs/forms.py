"""The base of every form: text fields only ever receive text."""
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict, FileStorage, MultiDict

NOT_A_FILE = _l("Please type text here, not a file.")


class Form(FlaskForm):
    """A FlaskForm whose non-file fields never see an uploaded file.

    Flask-WTF merges request.files into the form data, so a multipart part named like a
    text field (a fuzzer's, or a broken client's) reached the field as a FileStorage and
    its validators failed with a TypeError (a 500). Such a part is taken out before the
    fields see it, and the field it was sent for fails validation with a message.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            data = super().wrap_formdata(form, formdata)
            form._file_parts = set()
            # Only the request's own data carries files (not formdata given by the caller,
            # e.g. the importer's rows in a Celery task, outside any request).
            if data is None or formdata is not _Auto or not has_request_context() \
                    or not request.files:
                return data
            files = {f.name for f in form if isinstance(f, (FileField, MultipleFileField))}
            form._file_parts = {k for k in request.files if k not in files}
            kept = MultiDict([(k, v) for k, v in request.files.items(multi=True) if k in files])
            text = MultiDict([(k, v) for k, v in data.items(multi=True)
                              if not isinstance(v, FileStorage)])
            return CombinedMultiDict((kept, text))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in getattr(self, "_file_parts", ()):
            field = self._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, NOT_A_FILE]
                valid = False
        return valid
