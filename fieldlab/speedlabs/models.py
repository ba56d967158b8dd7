"""Speedlabs: a short live session in which alumni and a problem owner come up with ideas.

The rules that must hold even when many people click at once live in the database:
- an invitation, idea, cluster and vote belong to one session (composite foreign keys);
- a participant has at most N dots: each dot is a row with a slot 1..N, unique per participant,
  and N on the row must equal the session's N (composite foreign key to the session);
- one e-mail address is invited once per session.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow


class Phase(LabelledEnum):
    """The rounds of a speedlab, in order. `preparing` is before the first round starts."""

    PREPARING = "preparing", _l("voorbereiding")
    IDEAS = "ideas", _l("ideeënronde")
    CLUSTERING = "clustering", _l("clusteren")
    VOTING = "voting", _l("stemronde")
    RESULTS = "results", _l("resultaten")

    @property
    def next(self) -> "Phase | None":
        order = list(Phase)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


# Rounds that take a timebox; results simply stay open.
TIMED_PHASES = (Phase.IDEAS, Phase.CLUSTERING, Phase.VOTING)
DEFAULT_ROUND_MINUTES = {Phase.IDEAS: 20, Phase.CLUSTERING: 15, Phase.VOTING: 10}


def round_accepting(phase: str, round_open: bool, round_ends_at: datetime | None, now: datetime) -> bool:
    """The current round takes input: started, not stopped, and its time not yet up."""
    if not round_open or Phase(phase) not in TIMED_PHASES:
        return False
    return round_ends_at is None or now < round_ends_at


def board_state(phase: str, round_open: bool, round_ends_at: datetime | None, now: datetime) -> str:
    """What decides the input a person sees; a polling board gets a full answer when it changes."""
    return f"{phase}-{'open' if round_accepting(phase, round_open, round_ends_at, now) else 'dicht'}"


class InvitationStatus(LabelledEnum):
    INVITED = "invited", _l("uitgenodigd")
    ACCEPTED = "accepted", _l("komt")
    DECLINED = "declined", _l("komt niet")
    WAITING = "waiting", _l("wachtlijst")


SEAT_HOLDING = (InvitationStatus.INVITED, InvitationStatus.ACCEPTED)


class InvitationRole(LabelledEnum):
    ALUMNUS = "alumnus", _l("alumnus")
    GUEST = "guest", _l("gast")
    OWNER = "owner", _l("probleemeigenaar")


class SpeedlabSession(db.Model):
    """One speedlab. `revision` is raised on every change a board shows, so a polling board asks
    one cheap question ("still revision 12?") and gets 204 when nothing changed. `sequence` is the
    iCalendar SEQUENCE, raised when date, time, place or online link change and on cancellation.

    A cancelled speedlab (`cancelled_at` set, always with the reason the invitees read) keeps its
    invitations and phase for the record, but nothing can happen in it any more."""

    __tablename__ = "speedlab_session"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats"),
        CheckConstraint("dots_per_participant BETWEEN 1 AND 20", name="dots"),
        CheckConstraint("ends_at > starts_at", name="times"),
        CheckConstraint("phase IN ('preparing', 'ideas', 'clustering', 'voting', 'results')", name="phase"),
        CheckConstraint("cancelled_at IS NULL OR cancellation_reason <> ''", name="cancellation_reason"),
        # Target of the votes' composite foreign key: a dot carries its session's N.
        UniqueConstraint("id", "dots_per_participant", name="uq_speedlab_session_id_dots"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text, default="")
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="SET NULL"), index=True)
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("lab.id", ondelete="SET NULL"), index=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The problem owner: an account (usually the vraagstuk's opdrachtgever) or just a name and address.
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    owner_email: Mapped[str] = mapped_column(String(254), default="")
    owner_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    seats: Mapped[int] = mapped_column(default=8)
    dots_per_participant: Mapped[int] = mapped_column(default=3)
    phase: Mapped[str] = mapped_column(String(20), default=Phase.PREPARING)
    round_open: Mapped[bool] = mapped_column(default=False)
    round_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(default=1)
    sequence: Mapped[int] = mapped_column(default=0)
    facilitator_notes: Mapped[str] = mapped_column(Text, default="")
    summary_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancellation_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    problem = relationship("Problem")
    lab = relationship("Lab")
    facilitator = relationship("User", foreign_keys=[facilitator_id])
    owner_user = relationship("User", foreign_keys=[owner_user_id])
    owner_organisation = relationship("Organisation")
    invitations: Mapped[list["SpeedlabInvitation"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SpeedlabInvitation.id")
    ideas: Mapped[list["Idea"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Idea.id")
    clusters: Mapped[list["Cluster"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by=lambda: [Cluster.position, Cluster.id])

    @property
    def phase_enum(self) -> Phase:
        return Phase(self.phase)

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def accepting(self, now: datetime) -> bool:
        return round_accepting(self.phase, self.round_open, self.round_ends_at, now)

    def votes_visible(self, now: datetime) -> bool:
        """Votes stay secret until the voting round has closed."""
        return self.phase_enum == Phase.RESULTS or (self.phase_enum == Phase.VOTING and not self.accepting(now))

    def board_state(self, now: datetime) -> str:
        return board_state(self.phase, self.round_open, self.round_ends_at, now)

    @property
    def owner_display_name(self) -> str:
        return self.owner_user.name if self.owner_user else self.owner_name

    @property
    def owner_address(self) -> str:
        return self.owner_user.email if self.owner_user else self.owner_email

    def __repr__(self) -> str:
        return f"<SpeedlabSession {self.id} {self.phase}>"


class SpeedlabInvitation(db.Model):
    """A person invited to a speedlab: an alumnus (account), a guest (name and address only) or
    the problem owner. Seats are held by `invited` and `accepted`; `waiting` rows are promoted in
    order of `waiting_position` when someone says no."""

    __tablename__ = "speedlab_invitation"
    __table_args__ = (
        UniqueConstraint("session_id", "email", name="uq_speedlab_invitation_session_email"),
        UniqueConstraint("id", "session_id", name="uq_speedlab_invitation_id_session"),
        CheckConstraint("status IN ('invited', 'accepted', 'declined', 'waiting')", name="status"),
        CheckConstraint("role IN ('alumnus', 'guest', 'owner')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("speedlab_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    role: Mapped[str] = mapped_column(String(10), default=InvitationRole.ALUMNUS)
    status: Mapped[str] = mapped_column(String(10), default=InvitationStatus.INVITED)
    # Why the app suggested this person ("thema vastgoed in Field Lab 2024-2, expertise ...").
    reason: Mapped[str] = mapped_column(String(500), default="")
    waiting_position: Mapped[int | None] = mapped_column()
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session = relationship(SpeedlabSession, back_populates="invitations")
    user = relationship("User")
    organisation = relationship("Organisation")

    @property
    def status_label(self) -> str:
        return InvitationStatus(self.status).label

    @property
    def role_label(self) -> str:
        return InvitationRole(self.role).label

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING and self.role != InvitationRole.OWNER

    def __repr__(self) -> str:
        return f"<SpeedlabInvitation {self.id} {self.status}>"


class Cluster(db.Model):
    """A heading the facilitator groups ideas under."""

    __tablename__ = "speedlab_cluster"
    __table_args__ = (UniqueConstraint("id", "session_id", name="uq_speedlab_cluster_id_session"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("speedlab_session.id", ondelete="CASCADE"), index=True)
    heading: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    session = relationship(SpeedlabSession, back_populates="clusters")

    def __repr__(self) -> str:
        return f"<Cluster {self.id}>"


class Idea(db.Model):
    """A short idea with one line of explanation. `author_id` is the participant (invitation);
    empty when the facilitator wrote it down for the room."""

    __tablename__ = "speedlab_idea"
    __table_args__ = (
        UniqueConstraint("id", "session_id", name="uq_speedlab_idea_id_session"),
        ForeignKeyConstraint(["author_id", "session_id"],
                             ["speedlab_invitation.id", "speedlab_invitation.session_id"],
                             name="fk_speedlab_idea_author", ondelete="CASCADE"),
        ForeignKeyConstraint(["cluster_id", "session_id"],
                             ["speedlab_cluster.id", "speedlab_cluster.session_id"],
                             name="fk_speedlab_idea_cluster"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("speedlab_session.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(index=True)
    cluster_id: Mapped[int | None] = mapped_column(index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(140))
    explanation: Mapped[str] = mapped_column(String(400), default="")
    # The draft vraagstuk the facilitator turned this idea into, if any.
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session = relationship(SpeedlabSession, back_populates="ideas")
    author = relationship(SpeedlabInvitation, foreign_keys=[author_id, session_id], viewonly=True)
    cluster = relationship(Cluster, foreign_keys=[cluster_id, session_id], viewonly=True)
    problem = relationship("Problem")

    def __repr__(self) -> str:
        return f"<Idea {self.id}>"


class IdeaCard(db.Model):
    """An idea put on a team's 100-day board ("Zet op bord"). Unique per idea and challenge, so a
    second click, a second tab or two facilitators at once cannot put it on one board twice; the
    row goes with the card when the team deletes it, and then the idea may go on that board again."""

    __tablename__ = "speedlab_idea_card"
    __table_args__ = (UniqueConstraint("idea_id", "challenge_id", name="uq_speedlab_idea_card_idea_challenge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("speedlab_idea.id", ondelete="CASCADE"))
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("board_card.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<IdeaCard idea={self.idea_id} card={self.card_id}>"


class Vote(db.Model):
    """One dot. A participant with N dots has at most N rows: `slot` runs 1..N (CHECK against the
    session's N, carried on the row and held equal to it by a composite foreign key) and is unique
    per participant. Concurrent double submits therefore fail in the database, not in Python."""

    __tablename__ = "speedlab_vote"
    __table_args__ = (
        UniqueConstraint("voter_id", "slot", name="uq_speedlab_vote_voter_slot"),
        CheckConstraint("slot >= 1 AND slot <= dots_per_participant", name="slot"),
        ForeignKeyConstraint(["session_id", "dots_per_participant"],
                             ["speedlab_session.id", "speedlab_session.dots_per_participant"],
                             name="fk_speedlab_vote_session_dots", ondelete="CASCADE"),
        ForeignKeyConstraint(["voter_id", "session_id"],
                             ["speedlab_invitation.id", "speedlab_invitation.session_id"],
                             name="fk_speedlab_vote_voter", ondelete="CASCADE"),
        ForeignKeyConstraint(["idea_id", "session_id"],
                             ["speedlab_idea.id", "speedlab_idea.session_id"],
                             name="fk_speedlab_vote_idea", ondelete="CASCADE"),
        Index("ix_speedlab_vote_session_idea", "session_id", "idea_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column()
    dots_per_participant: Mapped[int] = mapped_column()
    voter_id: Mapped[int] = mapped_column()
    idea_id: Mapped[int] = mapped_column()
    slot: Mapped[int] = mapped_column()
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Vote {self.voter_id}:{self.slot}>"
