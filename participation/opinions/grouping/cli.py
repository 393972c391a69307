"""``flask opinions group --consultation ID``: full regrouping with a progress bar."""

from __future__ import annotations

import click

from participation.extensions import db


@click.command("group")
@click.option("--consultation", "consultation_id", type=int, required=True)
def group_opinions(consultation_id: int) -> None:
    """Regroup every opinion of a consultation (officials' groups and placements stay)."""
    from participation.consultations.models import Consultation
    from participation.opinions.grouping.operations import regroup_consultation

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"No consultation {consultation_id}.")
    with click.progressbar(length=1, label="Grouping opinions") as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        result = regroup_consultation(consultation, progress=progress)
    db.session.commit()
    click.echo(f"{result.opinions} opinions looked at, {result.moved} moved, "
               f"{result.groups_created} groups created.")
