"""Forms of the attendance pages."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.attendance import wording


class TemplateForm(FlaskForm):
    subject = StringField("E-mail subject", validators=[Length(max=200)])
    text = TextAreaField(
        "What the call says", validators=[DataRequired(), Length(max=2000)]
    )
    and_word = StringField(
        "Word joining two names", validators=[DataRequired(), Length(max=20)]
    )

    def validate_text(self, field):
        problems = wording.check_template(field.data or "")
        if problems:
            raise ValidationError("; ".join(problems))


class UploadForm(FlaskForm):
    file = FileField("Absences file (CSV)", validators=[FileRequired()])
