"""Forms of the classification workspace, dispositions and reason templates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from participation.core.forms_common import Form, file_required, length, required
from participation.opinions.models import (
    CHANNEL_LABELS,
    DISPOSITION_LABELS,
    MODERATION_STATE_LABELS,
    STANCE_LABELS,
    Channel,
    Disposition,
    ModerationState,
    Stance,
)
from participation.opinions.workspace import ANY, NONE


class WorkspaceFilterForm(Form):
    """The workspace's filters (a GET form; values not offered are ignored). The bulk
    action form carries the same fields as hidden inputs."""

    class Meta:
        csrf = False

    node = SelectField(_l("Article"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validators=[Optional()],
                          choices=[("", _l("All channels"))]
                          + [(c.value, CHANNEL_LABELS[c]) for c in Channel])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    stance = SelectField(_l("Stance"), validators=[Optional()],
                         choices=[("", _l("Any stance")), (NONE, _l("No stance yet"))]
                         + [(s.value, STANCE_LABELS[s]) for s in Stance])
    disposition = SelectField(_l("Disposition"), validators=[Optional()],
                              choices=[("", _l("Any disposition")),
                                       (NONE, _l("No disposition yet"))]
                              + [(d.value, DISPOSITION_LABELS[d]) for d in Disposition])
    group = SelectField(_l("Group"), validators=[Optional()])
    moderation = SelectField(_l("Moderation"), validators=[Optional()],
                             choices=[("", _l("Any state"))]
                             + [(m.value, MODERATION_STATE_LABELS[m])
                                for m in ModerationState])
    late = SelectField(_l("Late"), validators=[Optional()],
                       choices=[("", _l("Late or in time")), ("yes", _l("Late only")),
                                ("no", _l("In time only"))])
    q = StringField(_l("Text contains"), validators=[Optional(), length(max=100)])

    FIELDS = ("node", "channel", "topic", "stance", "disposition", "group", "moderation",
              "late", "q")


GROUP_CHOICES = [("", _l("In a group or not")), (ANY, _l("In a group")),
                 (NONE, _l("Not in a group"))]

ACTIONS = [("topic", _l("Set the topic")), ("stance", _l("Set the stance")),
           ("disposition", _l("Set the disposition")),
           ("accept", _l("Accept the suggestions"))]


class BulkActionForm(Form):
    """A bulk action on the ticked opinions or on every opinion the filter matches."""

    action = SelectField(_l("Action"), choices=ACTIONS)
    topic_id = SelectField(_l("Topic to give"), validators=[Optional()], validate_choice=False)
    stance_value = SelectField(_l("Stance to give"), validators=[Optional()],
                               choices=[("", _l("No stance"))]
                               + [(s.value, STANCE_LABELS[s]) for s in Stance])
    disposition_value = SelectField(_l("Disposition to give"), validators=[Optional()],
                                    choices=[("", _l("Choose …"))]
                                    + [(d.value, DISPOSITION_LABELS[d])
                                       for d in Disposition])
    template = SelectField(_l("Start from a reason template"), validators=[Optional()],
                           validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Optional(), length(max=2000)],
                           description=_l("Required for every disposition but adopted, and "
                                          "for every concentrated opinion."),
                           render_kw={"rows": 3})
    scope = RadioField(_l("Apply to"), default="selected",
                       choices=[("selected", _l("The ticked opinions")),
                                ("all", _l("Every opinion matching the filter"))])
    confirm_count = HiddenField(validators=[Optional(), length(max=12)])


class ClassifyForm(Form):
    """One opinion's topic, stance, disposition, reason and the resulting change."""

    topic_id = SelectField(_l("Topic"), validators=[Optional()], validate_choice=False)
    stance = SelectField(_l("Stance"), validators=[Optional()],
                         choices=[("", _l("No stance"))]
                         + [(s.value, STANCE_LABELS[s]) for s in Stance])
    disposition = SelectField(_l("Disposition"), validators=[Optional()],
                              choices=[("", _l("Not decided yet"))]
                              + [(d.value, DISPOSITION_LABELS[d]) for d in Disposition])
    template = SelectField(_l("Start from a reason template"), validators=[Optional()],
                           validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Optional(), length(max=2000)],
                           render_kw={"rows": 4})
    change_node = SelectField(_l("Article changed as a result"), validators=[Optional()],
                              validate_choice=False)
    change_text = TextAreaField(_l("The article's new text"),
                                validators=[Optional(), length(max=5000)],
                                render_kw={"rows": 4})


class TopicForm(Form):
    name = StringField(_l("Topic name"), validators=[required(_l("Enter the topic's name.")),
                                                     length(max=100)])


class ApplyClassificationForm(Form):
    file = FileField(_l("Edited export (CSV or XLSX)"),
                     validators=[file_required(_l("Choose the file to apply."))],
                     description=_l("The file exported from the workspace, with the topic, "
                                    "stance, disposition and reason columns edited."))


class ReasonTemplateForm(Form):
    disposition = SelectField(_l("Offered with"), validators=[Optional()],
                              choices=[("", _l("Every disposition"))]
                              + [(d.value, DISPOSITION_LABELS[d]) for d in Disposition])
    text = TextAreaField(_l("Reason"), validators=[required(_l("Enter the reason's text.")),
                                                   length(max=2000)],
                         render_kw={"rows": 3})
