"""Every mapped class, for scripts that query the models without creating the app
(benchmarks, one-off tools): relationships name their targets by string, so all of them
must be imported before the first query. The app factory imports them through the
blueprints."""

from participation.accounts import models as accounts_models  # noqa: F401
from participation.catalogue import models as catalogue_models  # noqa: F401
from participation.consultations import models as consultations_models  # noqa: F401
from participation.core import audit, jobs, outbox, tasks, uploads  # noqa: F401
from participation.core.workdays import models as workdays_models  # noqa: F401
from participation.dossier import models as dossier_models  # noqa: F401
from participation.feedback import models as feedback_models  # noqa: F401
from participation.meetings import models as meetings_models  # noqa: F401
from participation.open_days import models as opendays_models  # noqa: F401
from participation.opinions import models as opinions_models  # noqa: F401
from participation.opinions.grouping import models as grouping_models  # noqa: F401
