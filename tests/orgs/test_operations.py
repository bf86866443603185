"""Organizations, branches, services, counters and staff invitations: on SQLite and PostgreSQL."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from smartqueue.errors import DomainError
from smartqueue.models import (
    Branch,
    Channel,
    Commune,
    Counter,
    CounterStatus,
    Department,
    Invitation,
    Membership,
    OrganizationType,
    Plan,
    Region,
    Role,
    Service,
    User,
)
from smartqueue.orgs import operations as ops
from smartqueue.orgs import queries as org_queries
from smartqueue.orgs.errors import (
    CounterBusy,
    CounterNumberTaken,
    InvalidHours,
    InvalidInvitation,
    InvalidLocation,
    NameTaken,
    PlanLimitReached,
    PrefixTaken,
)


def _place(db, commune="Plateau"):
    c = db.session.scalar(select(Commune).where(Commune.name == commune))
    return {
        "region_id": c.department.region_id,
        "department_id": c.department_id,
        "commune_id": c.id,
    }


def test_create_organization_refuses_a_duplicate_name(db, backend):
    ops.create_organization("Banque Teranga", OrganizationType.BANK)
    with pytest.raises(NameTaken):
        ops.create_organization(" Banque Teranga ", OrganizationType.BANK)


def test_create_branch_checks_region_department_commune_agree(db, backend, make_org):
    org = make_org()
    branch = ops.create_branch(org, name="Plateau", address="Rue 1", **_place(db))
    assert branch.latitude is not None  # the commune's centre by default
    assert [h.weekday for h in branch.opening_hours] == [0, 1, 2, 3, 4]
    thies = db.session.scalar(select(Region).where(Region.name == "Thiès"))
    bad = dict(_place(db), region_id=thies.id)
    with pytest.raises(InvalidLocation):
        ops.create_branch(org, name="Ailleurs", address="Rue 2", **bad)
    pikine = db.session.scalar(select(Department).where(Department.name == "Pikine"))
    with pytest.raises(InvalidLocation):
        ops.create_branch(
            org,
            name="Ailleurs",
            address="Rue 2",
            **dict(_place(db), department_id=pikine.id),
        )
    db.session.rollback()
    assert db.session.scalar(select(Branch).where(Branch.name == "Ailleurs")) is None


def test_set_opening_hours_and_closures(db, backend, make_branch):
    branch = make_branch()
    ops.set_opening_hours(
        branch, {0: (time(8), time(16)), 5: (time(9), time(12)), 6: None}
    )
    assert [(h.weekday, h.opens_at) for h in branch.opening_hours] == [
        (0, time(8)),
        (5, time(9)),
    ]
    with pytest.raises(InvalidHours):  # an empty span (17:00-08:00 is overnight)
        ops.set_opening_hours(branch, {1: (time(9), time(9))})
    assert len(branch.opening_hours) == 2  # nothing half-written
    day = date.today() + timedelta(days=10)
    ops.add_closure(branch, day, "Tabaski")
    with pytest.raises(InvalidHours):
        ops.add_closure(branch, day, "encore")
    with pytest.raises(InvalidHours):
        ops.add_closure(branch, date.today() - timedelta(days=1))


def test_service_prefix_is_one_letter_unique_per_branch(db, backend, make_branch):
    branch, other = make_branch(), make_branch()
    data = dict(name_fr="Ouverture de compte", estimated_minutes=20, price_fcfa=0)
    ops.create_service(branch, prefix="a", **data)
    assert db.session.scalar(select(Service.prefix)) == "A"
    with pytest.raises(PrefixTaken):
        ops.create_service(branch, prefix="A", **data)
    with pytest.raises(PrefixTaken):
        ops.create_service(branch, prefix="AB", **data)
    ops.create_service(other, prefix="A", **data)  # another branch may use A


def test_the_plan_caps_active_queues_across_the_organization(
    db, backend, make_org, make_branch
):
    org = make_org(plan=Plan.FREE)  # 2 active queues
    plateau, pikine = make_branch(org), make_branch(org)
    data = dict(name_fr="Service", estimated_minutes=10)
    first = ops.create_service(plateau, prefix="A", **data)
    ops.create_service(pikine, prefix="A", **data)
    with pytest.raises(PlanLimitReached, match="2 files actives au plus"):
        ops.create_service(plateau, prefix="B", **data)
    spare = ops.create_service(plateau, prefix="C", is_active=False, **data)
    with pytest.raises(PlanLimitReached):
        ops.update_service(spare, prefix="C", is_active=True, **data)
    db.session.expire_all()
    assert db.session.scalars(select(Service.prefix).order_by(Service.id)).all() == [
        "A",
        "A",
        "C",
    ]
    assert db.session.get(Service, spare.id).is_active is False
    ops.update_service(first, prefix="A", is_active=False, **data)  # one made room
    ops.update_service(spare, prefix="C", is_active=True, **data)
    ops.update_service(spare, prefix="C", is_active=True, **data)  # already counted
    org.plan = Plan.STARTER
    db.session.commit()
    ops.create_service(plateau, prefix="B", **data)


def test_requiring_an_appointment_implies_taking_them(db, backend, make_branch):
    service = ops.create_service(
        make_branch(),
        prefix="C",
        name_fr="CNI",
        estimated_minutes=15,
        requires_appointment=True,
    )
    assert service.accepts_appointments


def test_counter_numbers_unique_and_services_from_its_own_branch(
    db, backend, make_branch, make_service
):
    branch, other = make_branch(), make_branch()
    mine, theirs = make_service(branch, "A"), make_service(other, "A")
    counter = ops.create_counter(branch, 1, "Accueil", [mine.id])
    assert counter.services == [mine]
    with pytest.raises(CounterNumberTaken):
        ops.create_counter(branch, 1, service_ids=[mine.id])
    with pytest.raises(DomainError):
        ops.create_counter(branch, 2, service_ids=[theirs.id])


def test_a_counter_with_a_customer_at_it_is_not_deleted(
    db, backend, frozen, make_branch, make_service, make_user
):
    from smartqueue.queueing import operations as queueing

    branch = make_branch()
    service = make_service(branch, "A")
    counter = ops.create_counter(branch, 1, service_ids=[service.id])
    agent = make_user(role="agent", branch=branch)
    queueing.set_counter_status(counter, CounterStatus.OPEN, by=agent)
    queueing.issue_ticket(service, channel=Channel.KIOSK)
    called = queueing.call_next(counter, by=agent)
    for step in (None, queueing.start_serving):
        if step:
            called = step(called, by=agent)
        with pytest.raises(CounterBusy, match="terminez d'abord son ticket"):
            ops.delete_counter(counter)
        assert db.session.get(Counter, counter.id) is not None
    queueing.finish(called, by=agent)
    ops.delete_counter(counter)
    db.session.expire_all()
    assert db.session.get(Counter, counter.id) is None
    assert called.counter_id is None  # history kept, the counter gone


def test_invite_staff_then_accept_creates_a_verified_account_with_the_role(
    db, backend, app, make_branch, make_user, mailbox
):
    branch = make_branch()
    admin = make_user(role="org_admin", org=branch.organization)
    with app.test_request_context():
        invitation = ops.invite_staff(
            branch.organization, "Moussa@Example.sn", Role.AGENT, branch.id, by=admin
        )
    message = mailbox.wait_for("moussa@example.sn")[0]
    body = message.get_body(preferencelist=("plain",)).get_content()
    token = body.split("/auth/invitation/")[1].split()[0]
    assert invitation.token_hash != token
    found = org_queries.find_invitation(token)
    assert found == invitation
    user = ops.accept_invitation(
        found, full_name="Moussa Diop", password="long-enough-1"
    )
    assert user.is_verified
    assert [(m.role, m.branch_id) for m in user.memberships] == [
        (Role.AGENT, branch.id)
    ]
    assert org_queries.find_invitation(token) is None  # used once


def test_invite_staff_needs_a_branch_of_the_same_org_for_agents(
    db, backend, app, make_branch, make_user
):
    branch, foreign = make_branch(), make_branch()
    admin = make_user(role="org_admin", org=branch.organization)
    with app.test_request_context():
        with pytest.raises(InvalidInvitation):
            ops.invite_staff(
                branch.organization, "a@example.sn", Role.AGENT, None, by=admin
            )
        with pytest.raises(InvalidInvitation):
            ops.invite_staff(
                branch.organization,
                "a@example.sn",
                Role.BRANCH_MANAGER,
                foreign.id,
                by=admin,
            )
    assert db.session.scalars(select(Invitation)).all() == []


def test_invite_staff_respects_the_plan_staff_limit(
    db, backend, app, make_org, make_user
):
    org = make_org(plan=Plan.FREE)  # 3 staff
    admin = make_user(role="org_admin", org=org)
    with app.test_request_context():
        ops.invite_staff(org, "b@example.sn", Role.ORG_ADMIN, by=admin)
        ops.invite_staff(org, "c@example.sn", Role.ORG_ADMIN, by=admin)
        with pytest.raises(InvalidInvitation):
            ops.invite_staff(org, "d@example.sn", Role.ORG_ADMIN, by=admin)


def test_accepting_for_an_existing_account_needs_that_account(
    db, backend, app, make_org, make_user
):
    org = make_org()
    admin = make_user(role="org_admin", org=org)
    existing = make_user(email="awa@example.sn")
    stranger = make_user(email="other@example.sn")
    with app.test_request_context():
        invitation = ops.invite_staff(org, "awa@example.sn", Role.ORG_ADMIN, by=admin)
    with pytest.raises(InvalidInvitation):
        ops.accept_invitation(invitation, full_name="X", password="whatever-123")
    with pytest.raises(InvalidInvitation):
        ops.accept_invitation(invitation, user=stranger)
    ops.accept_invitation(invitation, user=existing)
    assert existing.membership_for(org.id).role is Role.ORG_ADMIN


def test_change_role_and_remove_staff(db, backend, make_branch, make_user):
    branch = make_branch()
    admin = make_user(role="org_admin", org=branch.organization)
    agent = make_user(role="agent", branch=branch)
    membership = agent.memberships[0]
    ops.change_role(membership, Role.BRANCH_MANAGER, branch.id, by=admin)
    assert membership.role is Role.BRANCH_MANAGER
    with pytest.raises(
        InvalidInvitation
    ):  # an admin cannot demote themself into a lock-out
        ops.change_role(admin.memberships[0], Role.AGENT, branch.id, by=admin)
    with pytest.raises(InvalidInvitation):
        ops.remove_staff(admin.memberships[0], by=admin)
    ops.remove_staff(membership, by=admin)
    assert (
        db.session.scalars(
            select(Membership).where(Membership.user_id == agent.id)
        ).all()
        == []
    )
    assert db.session.get(User, agent.id) is not None


def test_service_queue_settings_and_a_new_strategy_reorders_the_line(
    db, backend, frozen, make_branch
):
    from smartqueue.models import Channel, Priority, QueueStatus, Strategy
    from smartqueue.queueing import queries
    from smartqueue.queueing.operations import issue_ticket

    branch = make_branch()
    data = dict(name_fr="Caisse", estimated_minutes=5, prefix="A")
    service = ops.create_service(branch, **data)
    assert service.queue.strategy is Strategy.FIFO
    normal = issue_ticket(service, channel=Channel.KIOSK)
    urgent = issue_ticket(service, channel=Channel.KIOSK, priority=Priority.URGENT)
    assert [t.id for t in queries.list_waiting([service.id])] == [
        normal.id,
        urgent.id,
    ]
    ops.update_service(
        service,
        **data,
        strategy=Strategy.PRIORITY,
        capacity=30,
        notify_before=5,
        queue_status=QueueStatus.PAUSED,
    )
    assert [t.id for t in queries.list_waiting([service.id])] == [
        urgent.id,
        normal.id,
    ]
    assert (service.queue.capacity, service.queue.notify_before) == (30, 5)
    assert service.queue.status is QueueStatus.PAUSED
