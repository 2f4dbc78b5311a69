"""Demo complaints in every state of their lifecycle, written by the real services.

Every complaint is written step by step, as staff and customers would do it, so its
timeline, SLA clocks, plans and return visits are exactly what the product itself records.
Each complaint's history is spread over the past weeks: while it is written, the clock the
services read (``django.utils.timezone.now``) is set to the moment of each step.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from aftersales.cases.services import ticket_add_note
from aftersales.catalog.models import Order
from aftersales.core.choices import Channel
from aftersales.core.exceptions import DomainError
from aftersales.management import demo_data as d
from aftersales.management.demo import DemoClock, DemoWorld
from aftersales.people.models import Customer
from complaints.models import DisputeDetails

DEFAULT_COMPLAINTS = 200

# Every state a demo complaint is left in, with how many days ago such complaints arrive
# (an archived case is weeks old, a just-registered one is from the last day or two).
TARGET_AGE_DAYS = {
    "REGISTERED": (0.05, 1.5),
    "NOT_ACCEPTED": (1, 60),
    "ACCEPTED": (0.2, 2),
    "ON_SPOT_RESOLVED": (0.1, 2),
    "CLASSIFIED": (0.3, 3),
    "ANALYSING": (0.5, 6),
    "PLAN_APPROVAL": (1, 7),
    "IN_PROGRESS": (1.5, 10),
    "AWAIT_CUSTOMER": (1.5, 9),
    "REOPENED": (4, 14),
    "RESOLVED": (1.5, 7),
    "RETURN_VISIT": (3, 10),
    "CLOSED": (10, 60),
}
TARGET_STATES = list(TARGET_AGE_DAYS)
TARGET_WEIGHTS = {
    "REGISTERED": 7, "NOT_ACCEPTED": 4, "ACCEPTED": 5, "ON_SPOT_RESOLVED": 3, "CLASSIFIED": 6,
    "ANALYSING": 8, "PLAN_APPROVAL": 5, "IN_PROGRESS": 9, "AWAIT_CUSTOMER": 5, "REOPENED": 4,
    "RESOLVED": 8, "RETURN_VISIT": 8, "CLOSED": 28,
}
# Hours between two steps of a case (low, high), before they are fitted into its age.
STEP_HOURS = {
    "accept": (0.2, 3), "reject": (0.5, 8), "on_spot": (0.05, 0.5), "classify": (0.2, 4),
    "start": (0.5, 12), "plan": (4, 40), "decide": (1, 20), "confirm": (0.5, 6),
    "customer": (2, 30), "reply": (2, 40), "feedback": (40, 90), "archive": (0.5, 20),
    "reopen": (1, 24), "resume": (1, 12), "escalate": (1, 24), "note": (0.2, 6),
    "investigate": (1, 20), "stop": (0.5, 6), "approve_line": (0.5, 8), "execute": (0.5, 12),
}
STEPS_TO = {
    "REGISTERED": [], "NOT_ACCEPTED": ["reject"], "ACCEPTED": ["accept"],
    "ON_SPOT_RESOLVED": ["accept", "on_spot"], "CLASSIFIED": ["accept", "classify"],
    "ANALYSING": ["accept", "classify", "start"],
    "PLAN_APPROVAL": ["accept", "classify", "start", "plan"],
    "IN_PROGRESS": ["accept", "classify", "start", "plan", "decide"],
    "AWAIT_CUSTOMER": ["accept", "classify", "start", "plan", "decide", "confirm"],
    "RESOLVED": ["accept", "classify", "start", "plan", "decide", "confirm", "customer", "reply"],
}
STEPS_TO["RETURN_VISIT"] = [*STEPS_TO["RESOLVED"], "feedback"]
STEPS_TO["REOPENED"] = [*STEPS_TO["RESOLVED"], "feedback"]
STEPS_TO["CLOSED"] = [*STEPS_TO["RETURN_VISIT"], "archive"]
CONFIRMATION_SOLUTIONS = {"REFUND", "RETURN_REFUND", "EXCHANGE", "PRICE_DIFF", "COMPENSATION"}
APPROVAL_SEVERITIES = {"S1", "S2", "S3"}
# Channels and how often complaints arrive through them.
CHANNEL_WEIGHTS = {
    Channel.WEBFORM: 24, Channel.HOTLINE: 22, Channel.ONLINE: 18, Channel.MEMBER: 8,
    Channel.EMAIL: 7, Channel.SOCIAL: 5, Channel.THIRDPARTY: 5, Channel.REGULATOR: 3,
    Channel.STORE: 3, Channel.VISIT: 2, Channel.LETTER: 1, Channel.FIELD: 1, Channel.OFFICE: 1,
}
SELF_SERVICE_CHANNELS = {Channel.WEBFORM, Channel.MEMBER}
# Price, promotion and coupon disputes (§5.6): each kind is left in several of these states
# when the batch is big enough, so every step of the sub-flow shows.
DISPUTE_TARGETS = {
    "PRICE": ["ANALYSING", "AWAIT_CUSTOMER", "CLOSED", "IN_PROGRESS"],
    "PROMO": ["PLAN_APPROVAL", "AWAIT_CUSTOMER", "RESOLVED"],
    "COUPON": ["ANALYSING", "IN_PROGRESS", "RETURN_VISIT"],
}
DISPUTE_MIN_BATCH = 20
DISPUTE_FINDINGS = {
    "PRICE": ("价格系统同步促销价时出错，页面价与结算价不一致。",
              "运营人员配置价保规则时漏选了该商品。"),
    "PROMO": ("活动页面宣传与实际规则不符，已截图留存页面快照。",
              "满减活动规则配置错误，部分订单未享受优惠。"),
    "COUPON": ("优惠券发放系统故障，券模板门槛设置错误。",
               "客服人员手工发券时选错了券模板。"),
}
DISPUTE_CAUSES = {"PRICE": ("SYSTEM_ERROR", "HUMAN_ERROR"),
                  "COUPON": ("SYSTEM_FAULT", "OPERATOR_ERROR")}
PROMO_CLASSES = {"FALSE_AD": "FALSE_ADVERTISING", "PRICE_FRAUD": "PRICE_FRAUD",
                 "RULE_BREACH": "RULE_BREACH"}
REMEDY_MEASURES = {
    "PRICE_DIFFERENCE": "核实后按实付价格退还差价{amount}元至原支付账户。",
    "COMPENSATE": "向客户致歉，活动已下线整改，并给予{amount}元补偿。",
    "REISSUE_COUPON": "补发一张面额{amount}元的同类优惠券，有效期30天。",
    "EXTEND_POINTS": "补录并将{points}积分的有效期延长三个月。",
}
ON_SPOT_CHANNELS = [Channel.HOTLINE, Channel.ONLINE, Channel.STORE, Channel.VISIT]




def demo_present() -> bool:
    from complaints.models import Complaint

    return Complaint.objects.exists()


@dataclass
class Spec:
    """What one demo complaint will be: where it ends, when it arrived, what it is about."""

    target: str
    received_at: datetime
    scenario: d.Scenario
    customer: Customer
    product: d.DemoProduct | None
    channel: str
    severity: str
    solution: str
    order: Order | None = None
    repeat_of: "Spec | None" = None
    flags: set[str] = field(default_factory=set)


class ComplaintSeeder(DemoWorld):
    """Plans and writes demo complaints on top of the kernel's reference data."""

    @classmethod
    def on(cls, world: DemoWorld) -> "ComplaintSeeder":
        seeder = cls.__new__(cls)
        seeder.__dict__ = world.__dict__
        seeder.clock = DemoClock(limit=world.limit, step_hours=STEP_HOURS)
        return seeder

    # --- planning ---------------------------------------------------------------------
    def plan(self, count: int) -> list[Spec]:
        rng = self.rng
        targets = TARGET_STATES[:]
        rng.shuffle(targets)
        names, weights = zip(*TARGET_WEIGHTS.items(), strict=True)
        targets += rng.choices(names, weights=weights, k=max(0, count - len(targets)))
        targets = targets[:count]
        scenario_weights = [s.weight for s in d.SCENARIOS]
        specs = []
        on_spot_scenarios = [s for s in d.SCENARIOS if s.on_spot]
        for target in targets:
            low, high = TARGET_AGE_DAYS[target]
            received_at = self.now - timedelta(days=rng.uniform(low, high))
            if target == "ON_SPOT_RESOLVED":
                scenario = rng.choice(on_spot_scenarios)
            else:
                scenario = rng.choices(d.SCENARIOS, weights=scenario_weights)[0]
            specs.append(self.spec_for(target, received_at, scenario))
        # Some customers come back about the same order within weeks (repeat complaints,
        # domain.md §9); the earlier complaint is written first, so its order exists.
        for spec in rng.sample(specs, k=len(specs) // 12):
            earlier = [
                s for s in specs
                if s.product is not None and s.repeat_of is None and s is not spec
                and timedelta(hours=12) < spec.received_at - s.received_at < timedelta(days=25)
            ]
            if not earlier:
                continue
            original = rng.choice(earlier)
            spec.customer = original.customer
            spec.product = original.product
            spec.repeat_of = original
        if len(specs) >= DISPUTE_MIN_BATCH:
            self.assign_disputes(specs)
        specs.sort(key=lambda s: s.received_at)
        return specs

    def assign_disputes(self, specs: list[Spec]) -> None:
        """Make some complaints price, promotion and coupon disputes, one of each kind in
        several states; the first price dispute's product had its price raised just before
        a discount, so its price-fraud flag shows."""
        rng = self.rng
        free = [s for s in specs if "on_spot" not in s.flags and s.repeat_of is None
                and s.scenario.category not in ("PRICE", "PROMO", "COUPON")
                and not any(t is s for t in specs if t.repeat_of is s)]
        fraud_given = False
        for category, targets in DISPUTE_TARGETS.items():
            scenarios = [sc for sc in d.SCENARIOS if sc.category == category]
            for target in targets:
                spec = next((s for s in free if s.target == target), None)
                if spec is None:
                    continue
                free.remove(spec)
                spec.scenario = rng.choice(scenarios)
                spec.flags -= {"not_liable", "plan_returned"}
                if spec.product is None:
                    spec.product = rng.choice([p for p in d.PRODUCTS if not p.big])
                if category == "PRICE" and not fraud_given:
                    spec.flags.add("price_fraud")
                    fraud_given = True

    def spec_for(self, target: str, received_at: datetime, scenario: d.Scenario) -> Spec:
        rng = self.rng
        if scenario.big_only:
            product = rng.choice([p for p in d.PRODUCTS if p.big])
        elif scenario.needs_product or rng.random() < 0.5:
            product = rng.choice(d.PRODUCTS)
        else:
            product = None
        names, weights = zip(*CHANNEL_WEIGHTS.items(), strict=True)
        channel = rng.choices(names, weights=weights)[0]
        severity = rng.choice(scenario.severities)
        solution = rng.choice(scenario.solutions)
        flags: set[str] = set()
        if target == "ON_SPOT_RESOLVED" or (
            target in ("RESOLVED", "RETURN_VISIT", "CLOSED") and scenario.on_spot
            and rng.random() < 0.25
        ):
            flags.add("on_spot")
            channel = rng.choice(ON_SPOT_CHANNELS)
        if channel == Channel.REGULATOR and severity not in APPROVAL_SEVERITIES:
            severity = "S3"
        if target == "PLAN_APPROVAL" and severity not in APPROVAL_SEVERITIES:
            severity = rng.choice(["S2", "S3"])
        if target == "AWAIT_CUSTOMER" and solution not in CONFIRMATION_SOLUTIONS:
            solution = rng.choice(sorted(CONFIRMATION_SOLUTIONS))
        if (target in ("RESOLVED", "RETURN_VISIT", "CLOSED") and scenario.not_liable
                and "on_spot" not in flags and rng.random() < 0.25):
            flags.add("not_liable")
        if severity in APPROVAL_SEVERITIES and rng.random() < 0.15:
            flags.add("plan_returned")
        if solution in CONFIRMATION_SOLUTIONS and rng.random() < 0.15:
            flags.add("customer_declined")
        if target == "CLOSED" and rng.random() < 0.12:
            flags.add("reopen_cycle")
        if target == "REOPENED":
            flags.add(rng.choice(["reopen_feedback", "reopen_resolved", "reopen_closed"]))
        if rng.random() < 0.12:
            flags.add("escalate")
        if rng.random() < 0.3:
            flags.add("note")
        customer = rng.choice(self.customers)
        return Spec(target, received_at, scenario, customer, product, channel, severity,
                    solution, flags=flags)

    # --- writing ----------------------------------------------------------------------
    def run(self, count: int) -> Counter:
        specs = self.plan(count)
        states: Counter = Counter()
        with self.clock.installed():
            for spec in specs:
                complaint = self.write(spec)
                states[complaint.state] += 1
        return states

    def pace_for(self, spec: Spec) -> float:
        steps = STEPS_TO[spec.target]
        longest = sum(STEP_HOURS[s][1] for s in steps) or 1.0
        budget = (self.clock.limit - spec.received_at).total_seconds() / 3600
        return max(0.01, min(1.0, budget / longest))

    def write(self, spec: Spec):
        from complaints.models import Complaint

        self.clock.start(spec.received_at, self.pace_for(spec))
        complaint = self.register(spec)
        try:
            complaint = self.drive(complaint, spec)
            complaint = self.extras(complaint, spec)
        except DomainError as exc:
            current = Complaint.objects.get(pk=complaint.pk)
            self.stopped_early.append(
                f"{current.number}: stopped in {current.state} on the way to {spec.target} "
                f"({exc.message})"
            )
            return current
        return Complaint.objects.get(pk=complaint.pk)

    def text_values(self, spec: Spec) -> dict:
        rng = self.rng
        product = spec.product
        price = product.price if product else Decimal("199.00")
        return {
            "product": product.name if product else "商品",
            "model": product.model_number if product else "",
            "fault": rng.choice(product.faults) if product else "无法正常使用",
            "extra": rng.choice(spec.scenario.extras),
            "days": rng.randint(2, 12),
            "order": spec.order.number if spec.order else "",
            "city": rng.choice(d.CITIES),
            "amount": rng.choice([20, 30, 50, 80, 100, 150, 200]),
            "price": price,
            "higher": price + rng.choice([20, 50, 100]),
        }

    def register(self, spec: Spec):
        from complaints.services import ComplaintIntake, complaint_register

        rng = self.rng
        customer = spec.customer
        if spec.product is not None or rng.random() < 0.6:
            if spec.repeat_of is not None and spec.repeat_of.order is not None:
                spec.order = spec.repeat_of.order
            else:
                spec.order = self.make_order(customer, spec.product, spec.received_at)
        if "price_fraud" in spec.flags and spec.order is not None and spec.product is not None:
            self.raise_before_discount(spec)
        values = self.text_values(spec)
        description = rng.choice(spec.scenario.texts).format(**values).strip()
        self_service = spec.channel in SELF_SERVICE_CHANNELS
        intake = ComplaintIntake(
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            customer=customer,
            order_number=spec.order.number if spec.order else "",
            product=self.products[spec.product.sku] if spec.product else None,
            product_text=spec.product.name if spec.product else "",
            category_hint=spec.scenario.category if self_service or rng.random() < 0.5 else "",
            request_type=spec.scenario.request_type,
            description=description,
            customer_request=rng.choice(spec.scenario.requests),
            purchase_date=timezone.localdate(spec.order.placed_at) if spec.order else None,
            channel=spec.channel,
            received_at=spec.received_at,
            regulator_case_number=(
                f"12315-{rng.randint(10**9, 10**10 - 1)}"
                if spec.channel == Channel.REGULATOR else ""
            ),
        )
        actor = None if self_service else self.users["agent"]
        return complaint_register(intake=intake, actor=actor)

    def raise_before_discount(self, spec: Spec) -> None:
        """The product's list price raised the day before a discount back to the old price,
        around the time the customer bought it (PRICE Art. 16-17 both trip)."""
        from aftersales.catalog.models import ProductPrice

        product = self.products[spec.product.sku]
        bought = spec.order.placed_at
        start = bought - timedelta(hours=3)
        raised = (spec.product.price * Decimal("1.3")).quantize(Decimal("1"))
        for kind, price, valid_from, valid_to in [
            ("LIST", spec.product.price, start - timedelta(days=45), start - timedelta(days=1)),
            ("LIST", raised, start - timedelta(days=1), start + timedelta(days=5)),
            ("DEAL", spec.product.price, start, start + timedelta(days=5)),
            ("LIST", spec.product.price, start + timedelta(days=5), None),
        ]:
            ProductPrice.objects.get_or_create(product=product, kind=kind, valid_from=valid_from,
                                               defaults={"price": price, "valid_to": valid_to})

    def handler_for(self, department_code: str):
        by_department = {"QA": "handler", "WH": "warehouse", "LOGI": "logistics",
                         "FIELD": "field", "ASD": "supervisor"}
        return self.users[by_department.get(department_code, "supervisor")]

    def drive(self, c, spec: Spec):
        """Take a registered complaint to its target state through the services."""
        from complaints import services as s

        rng, clock, target = self.rng, self.clock, spec.target
        agent, supervisor = self.users["agent"], self.users["supervisor"]
        if target == "REGISTERED":
            return c
        if target == "NOT_ACCEPTED":
            clock.advance(rng, "reject")
            reason, reply = rng.choice(d.REJECTIONS)
            return s.complaint_reject(complaint_pk=c.pk, version=c.version, actor=supervisor,
                                      reason=reason, reply=reply)
        clock.advance(rng, "accept")
        c = s.complaint_accept(
            complaint_pk=c.pk, version=c.version, actor=agent,
            checklist={"check_identity": True, "check_order": True, "check_facts": True,
                       "check_remit": True},
        )
        if target == "ACCEPTED":
            return c
        if "on_spot" in spec.flags:
            clock.advance(rng, "on_spot")
            c = s.complaint_resolve_on_spot(
                complaint_pk=c.pk, version=c.version, actor=agent,
                solution=spec.scenario.on_spot.format(**self.text_values(spec)),
                customer_confirmed=True,
            )
            if target == "ON_SPOT_RESOLVED":
                return c
            clock.advance(rng, "reply")
            c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent,
                                  text="您好，问题已当场为您处理完毕，感谢您的理解与支持。",
                                  outcome="SOLVED")
            return self.after_reply(c, spec)

        department = self.departments[spec.scenario.department]
        handler = self.handler_for(spec.scenario.department)
        clock.advance(rng, "classify")
        c = s.complaint_classify(
            complaint_pk=c.pk, version=c.version, actor=agent,
            category=spec.scenario.category, subcategory=spec.scenario.subcategory,
            severity=spec.severity, department=department,
            assignee=handler if rng.random() < 0.85 else None,
        )
        if target == "CLASSIFIED":
            return c
        clock.advance(rng, "start")
        expected = clock.now() + timedelta(days=rng.randint(2, 7))
        c = s.complaint_start_handling(
            complaint_pk=c.pk, version=c.version, actor=handler,
            acknowledgement=rng.choice(d.ACKNOWLEDGEMENTS).format(
                department=department.name,
                date=timezone.localtime(expected).strftime("%m月%d日")),
            expected_by=expected,
        )
        dispute = DisputeDetails.objects.filter(pk=c.pk).first()
        if dispute is not None:
            return self.drive_dispute(c, spec, dispute.kind, handler, department)
        if target == "ANALYSING":
            return c
        if "not_liable" in spec.flags:
            clock.advance(rng, "reply")
            text = spec.scenario.not_liable.format(**self.text_values(spec))
            c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent, text=text,
                                  outcome="NOT_LIABLE")
            return self.after_reply(c, spec)

        c = self.submit_plan(c, spec, handler, department)
        if target == "PLAN_APPROVAL":
            return c
        c = self.approve_if_needed(c, spec, handler, department)
        if target == "IN_PROGRESS":
            return c
        if spec.solution in CONFIRMATION_SOLUTIONS:
            c = self.confirm_with_customer(c, spec, handler, department)
            if target == "AWAIT_CUSTOMER":
                return c
        clock.advance(rng, "reply")
        c = s.complaint_reply(
            complaint_pk=c.pk, version=c.version, actor=agent,
            text=rng.choice(d.REPLIES).format(measures=c.current_plan.measures),
            outcome="PARTIAL" if rng.random() < 0.1 else "SOLVED",
        )
        return self.after_reply(c, spec)

    # --- price, promotion and coupon disputes (§5.6) ---------------------------------------
    def drive_dispute(self, c, spec: Spec, kind: str, handler, department):
        """record (done at classification) → investigate → draft → consent → execute."""
        from complaints import disputes as ds
        from complaints import services as s

        rng, clock, target = self.rng, self.clock, spec.target
        agent = self.users["agent"]
        spec.flags.discard("plan_returned")
        if target == "ANALYSING" and rng.random() < 0.4:
            return c
        clock.advance(rng, "investigate")
        found = ds.Investigation(findings=rng.choice(DISPUTE_FINDINGS[kind]))
        if kind == "PROMO":
            found.promotion_class = PROMO_CLASSES.get(spec.scenario.subcategory, "RULE_BREACH")
            found.activity = rng.choice(["双11满1000减100", "618限时秒杀", "买二送一"])
        else:
            found.cause = rng.choice(DISPUTE_CAUSES[kind])
        if kind == "COUPON":
            found.coupon_code = f"CPN-{rng.randint(100000, 999999)}"
        c = ds.dispute_investigate(complaint_pk=c.pk, version=c.version, actor=handler,
                                   found=found)
        if target == "ANALYSING":
            return c
        if kind == "PROMO" and rng.random() < 0.5:
            c = self.stop_activity(c)
        c = self.draft_dispute(c, kind, handler, department)
        if target == "PLAN_APPROVAL":
            return c
        c = self.approve_if_needed(c, spec, handler, department)
        c = self.approve_line(c, handler)
        if target == "IN_PROGRESS":
            return c
        clock.advance(rng, "confirm")
        c = s.complaint_request_confirmation(
            complaint_pk=c.pk, version=c.version, actor=agent,
            message=f"您好，我们的处理方案是：{c.current_plan.measures}请在查询页面确认是否同意。")
        if target == "AWAIT_CUSTOMER":
            return c
        if "customer_declined" in spec.flags:
            clock.advance(rng, "customer")
            c = s.complaint_customer_decide(complaint_pk=c.pk, **self.proposal(c), agree=False,
                                            comment=rng.choice(d.DECLINES))
            c = self.draft_dispute(c, kind, handler, department, more=True)
            c = self.approve_if_needed(c, spec, handler, department)
            c = self.approve_line(c, handler)
            clock.advance(rng, "confirm")
            c = s.complaint_request_confirmation(
                complaint_pk=c.pk, version=c.version, actor=agent,
                message=f"您好，方案已调整为：{c.current_plan.measures}请确认是否同意。")
        clock.advance(rng, "customer")
        if rng.random() < 0.6:
            c = s.complaint_customer_decide(complaint_pk=c.pk, **self.proposal(c), agree=True)
        else:
            c = s.complaint_record_phone_consent(
                complaint_pk=c.pk, version=c.version, actor=agent, **self.proposal(c),
                agree=True, note="客户来电确认同意方案。")
        if kind == "PROMO" and DisputeDetails.objects.get(pk=c.pk).activity_stopped_at is None:
            c = self.stop_activity(c)
        clock.advance(rng, "execute")
        c = ds.dispute_execute(complaint_pk=c.pk, version=c.version, actor=agent,
                               note="已按方案执行。")
        clock.advance(rng, "reply")
        c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent,
                              text=rng.choice(d.REPLIES).format(measures=c.current_plan.measures),
                              outcome="SOLVED")
        return self.after_reply(c, spec)

    def stop_activity(self, c):
        from complaints import disputes as ds

        self.clock.advance(self.rng, "stop")
        return ds.dispute_stop_activity(complaint_pk=c.pk, version=c.version,
                                        actor=self.users["supervisor"],
                                        note="市场部已下线该活动并修正活动规则。")

    def draft_dispute(self, c, kind: str, handler, department, *, more: bool = False):
        from complaints import disputes as ds

        rng = self.rng
        self.clock.advance(rng, "plan")
        remedy = rng.choice({"PRICE": ["PRICE_DIFFERENCE"], "PROMO": ["COMPENSATE"],
                             "COUPON": ["REISSUE_COUPON", "EXTEND_POINTS"]}[kind])
        amount = Decimal(rng.choice([20, 30, 50, 60]) + (30 if more else 0))
        points = rng.choice([500, 1000, 2000]) if remedy == "EXTEND_POINTS" else None
        draft = ds.Draft(
            remedy=remedy, amount=Decimal("0.00") if points else amount, points=points,
            measures=REMEDY_MEASURES[remedy].format(amount=amount, points=points),
            deadline=self.clock.now() + timedelta(days=rng.randint(2, 7)),
            responsible_department=department, responsible_person=handler)
        return ds.dispute_draft(complaint_pk=c.pk, version=c.version, actor=handler,
                                draft=draft)

    def approve_line(self, c, handler):
        """The agent approves within the cap; never the person who drafted it."""
        from complaints import disputes as ds

        approver = self.users["agent"] if handler.pk != self.users["agent"].pk else (
            self.users["supervisor"])
        self.clock.advance(self.rng, "approve_line")
        return ds.dispute_approve_compensation(complaint_pk=c.pk, version=c.version,
                                               actor=approver)

    def submit_plan(self, c, spec: Spec, handler, department):
        from complaints import services as s

        rng = self.rng
        self.clock.advance(rng, "plan")
        amount = Decimal(rng.choice([30, 50, 80, 100, 200, 300, 500]))
        measures = d.MEASURES[spec.solution].format(department=department.name, amount=amount)
        compensation = amount if spec.solution == "COMPENSATION" else Decimal("0.00")
        plan = s.PlanInput(
            cause=spec.scenario.cause,
            nature=rng.choice(spec.scenario.nature) if spec.scenario.nature else "",
            liability=spec.scenario.liability,
            responsible_department=department,
            responsible_person=handler,
            solution_type=spec.solution,
            measures=measures,
            compensation_amount=compensation,
            deadline=self.clock.now() + timedelta(days=rng.randint(2, 10)),
        )
        return s.complaint_submit_plan(complaint_pk=c.pk, version=c.version, actor=handler,
                                       plan=plan)

    def approver_for(self, handler):
        # The person held responsible may not approve their own plan.
        supervisor = self.users["supervisor"]
        return self.users["admin"] if handler.pk == supervisor.pk else supervisor

    def approve_if_needed(self, c, spec: Spec, handler, department):
        from complaints import services as s

        if c.state != "PLAN_APPROVAL":
            return c
        approver = self.approver_for(handler)
        if "plan_returned" in spec.flags:
            spec.flags.discard("plan_returned")
            self.clock.advance(self.rng, "decide")
            c = s.complaint_decide_plan(complaint_pk=c.pk, version=c.version, actor=approver,
                                        approve=False, comment=self.rng.choice(d.PLAN_RETURNS))
            c = self.submit_plan(c, spec, handler, department)
        self.clock.advance(self.rng, "decide")
        return s.complaint_decide_plan(complaint_pk=c.pk, version=c.version, actor=approver,
                                       approve=True, comment="同意，请按期执行。")

    def confirm_with_customer(self, c, spec: Spec, handler, department):
        from complaints import services as s

        rng, agent = self.rng, self.users["agent"]
        message = f"您好，我们拟定的处理方案是：{c.current_plan.measures}请确认是否同意。"
        self.clock.advance(rng, "confirm")
        c = s.complaint_request_confirmation(complaint_pk=c.pk, version=c.version, actor=agent,
                                             message=message)
        if spec.target == "AWAIT_CUSTOMER":
            return c
        if "customer_declined" in spec.flags:
            self.clock.advance(rng, "customer")
            c = s.complaint_customer_decide(complaint_pk=c.pk, **self.proposal(c), agree=False,
                                            comment=rng.choice(d.DECLINES))
            spec.solution = rng.choice(["RETURN_REFUND", "EXCHANGE", "COMPENSATION"])
            c = self.submit_plan(c, spec, handler, department)
            c = self.approve_if_needed(c, spec, handler, department)
            self.clock.advance(rng, "confirm")
            c = s.complaint_request_confirmation(
                complaint_pk=c.pk, version=c.version, actor=agent,
                message=f"您好，方案已调整为：{c.current_plan.measures}请确认是否同意。",
            )
        self.clock.advance(rng, "customer")
        return s.complaint_customer_decide(complaint_pk=c.pk, **self.proposal(c), agree=True)

    @staticmethod
    def proposal(c) -> dict:
        """The plan the customer was sent: their answer names it, as the tracking page does."""
        return {"plan_pk": c.current_plan_id, "plan_version": c.current_plan.version}

    def feedback(self, c, *, satisfied: bool):
        from complaints import services as s

        rng = self.rng
        self.clock.advance(rng, "feedback")
        online = rng.random() < 0.5
        if satisfied:
            rating = rng.choice([5, 5, 5, 4, 4, 3])
            comment = rng.choice(d.SATISFIED_COMMENTS)
        else:
            rating = rng.choice([1, 2, 2, 3])
            comment = rng.choice(d.DISSATISFIED_COMMENTS)
        return s.complaint_record_feedback(
            complaint_pk=c.pk, actor=None if online else self.users["agent"],
            satisfied=satisfied, rating=rating, comment=comment,
            method="ONLINE" if online else "PHONE",
            ratings={"rating_attitude": min(5, rating + rng.choice([0, 0, 1])),
                     "rating_timeliness": max(1, rating - rng.choice([0, 0, 1])),
                     "rating_result": rating},
        )

    def after_reply(self, c, spec: Spec):
        from complaints import services as s

        rng, clock, target = self.rng, self.clock, spec.target
        agent, supervisor = self.users["agent"], self.users["supervisor"]
        if target == "RESOLVED":
            return c
        if target == "REOPENED":
            if "reopen_resolved" in spec.flags:
                clock.advance(rng, "reopen")
                return s.complaint_reopen(complaint_pk=c.pk, version=c.version, actor=agent,
                                          reason=rng.choice(d.REOPEN_REASONS))
            if "reopen_closed" in spec.flags:
                c = self.feedback(c, satisfied=True)
                clock.advance(rng, "archive")
                c = s.complaint_archive(complaint_pk=c.pk, version=c.version, actor=agent)
                clock.advance(rng, "reopen")
                return s.complaint_reopen(complaint_pk=c.pk, version=c.version,
                                          actor=supervisor, reason=rng.choice(d.REOPEN_REASONS))
            return self.feedback(c, satisfied=False)
        if "reopen_cycle" in spec.flags:
            c = self.feedback(c, satisfied=False)
            clock.advance(rng, "resume")
            c = s.complaint_resume(complaint_pk=c.pk, version=c.version, actor=agent,
                                   note="已再次安排处理。")
            clock.advance(rng, "reply")
            c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent,
                                  text="您好，问题已重新处理完毕，再次向您致歉。", outcome="SOLVED")
        c = self.feedback(c, satisfied=True)
        if target == "RETURN_VISIT":
            return c
        clock.advance(rng, "archive")
        return s.complaint_archive(complaint_pk=c.pk, version=c.version, actor=agent,
                                   note="回访满意，归档。")

    def extras(self, c, spec: Spec):
        """Escalations and notes on cases that are still open."""
        from complaints import services as s
        from complaints.choices import ESCALATABLE_STATES
        from complaints.models import Complaint

        rng = self.rng
        if "escalate" in spec.flags and c.state in ESCALATABLE_STATES:
            self.clock.advance(rng, "escalate")
            c = s.complaint_escalate(complaint_pk=c.pk, version=c.version,
                                     actor=self.users["agent"], reason=rng.choice(d.ESCALATIONS))
        if "note" in spec.flags and not c.is_read_only:
            self.clock.advance(rng, "note")
            internal = rng.random() < 0.6
            author = (self.handler_for(spec.scenario.department) if internal and c.department_id
                      else self.users["agent"])
            ticket_add_note(
                ticket_model=Complaint, ticket_pk=c.pk, actor=author,
                text=rng.choice(d.INTERNAL_NOTES if internal else d.CUSTOMER_MESSAGES),
                customer_visible=not internal,
            )
        return c


def seed(world: DemoWorld, count: int) -> None:
    """Write ``count`` demo complaints and add their summary to the world's report."""
    seeder = ComplaintSeeder.on(world)
    states = seeder.run(count)
    world.summary.append(f"{sum(states.values())} complaints:")
    world.summary.extend(f"  {state:<18} {states.get(state, 0):>4}" for state in TARGET_STATES)
