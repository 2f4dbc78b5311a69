"""Reference data for the demo: a small Chinese consumer-electronics shop and its customers.

Everything here is fiction. Phone numbers are generated, e-mail addresses use the reserved
``example.com`` domain, so nothing the demo sends can reach a real person.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from aftersales.core.choices import DepartmentKind
from aftersales.people.roles import ADMIN, AGENT, HANDLER, SUPERVISOR

# (code, name, kind)
DEPARTMENTS = [
    ("CS", "客户服务部", DepartmentKind.CUSTOMER_SERVICE),
    ("ASD", "售后服务部", DepartmentKind.AFTER_SALES),
    ("QA", "质量管理部", DepartmentKind.QUALITY),
    ("WH", "仓储部", DepartmentKind.WAREHOUSE),
    ("LOGI", "物流配送部", DepartmentKind.LOGISTICS),
    ("FIELD", "安装维修部", DepartmentKind.FIELD_SERVICE),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    department: str | None
    name: str
    superuser: bool = False


DEMO_USERS = [
    DemoUser("agent", "agent12345", AGENT, "CS", "王晓敏"),
    DemoUser("handler", "handler12345", HANDLER, "QA", "李建国"),
    DemoUser("warehouse", "warehouse12345", HANDLER, "WH", "赵磊"),
    DemoUser("logistics", "logistics12345", HANDLER, "LOGI", "孙海涛"),
    DemoUser("field", "field12345", HANDLER, "FIELD", "周志强"),
    DemoUser("supervisor", "supervisor12345", SUPERVISOR, "ASD", "陈静"),
    DemoUser("admin", "admin12345", ADMIN, None, "系统管理员", superuser=True),
]
DEMO_USERNAMES = [u.username for u in DEMO_USERS]


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    model_number: str
    warranty_months: int
    in_sanbao_catalogue: bool
    no_reason_return_excluded: bool
    durable: bool
    price: Decimal
    faults: tuple[str, ...]
    big: bool = False  # delivered and installed by our own technicians


PRODUCTS = [
    DemoProduct("KT-1701", "电热水壶 1.7L 304不锈钢", "小家电", "SK-1701", 12, False, False, True,
                Decimal("129.00"), ("烧水时底座跳闸", "水开后不自动断电", "壶底渗水")),
    DemoProduct("AF-5501", "空气炸锅 5.5L 可视款", "厨房电器", "AF55-V", 12, False, False, True,
                Decimal("399.00"), ("加热管不热", "触控面板失灵", "工作时有焦糊味")),
    DemoProduct("RB-X20", "扫地机器人 激光导航版", "清洁电器", "X20 Pro", 12, True, False, True,
                Decimal("1999.00"), ("无法自动回充", "激光雷达报错", "边刷不转")),
    DemoProduct("PH-N12-256", "5G智能手机 8GB+256GB", "手机通讯", "N12", 12, True, False, True,
                Decimal("2999.00"), ("充电发烫后自动关机", "屏幕出现绿线", "通话时听筒无声")),
    DemoProduct("NB-A14", "轻薄笔记本电脑 14英寸", "电脑办公", "A14-2026", 12, True, False, True,
                Decimal("5299.00"), ("键盘部分按键失灵", "开机频繁蓝屏", "电池续航不足一小时")),
    DemoProduct("WM-D100", "滚筒洗衣机 10公斤 变频", "大家电", "XQG100-D", 12, True, False, True,
                Decimal("2599.00"), ("脱水时剧烈晃动", "排水报E21故障", "门封漏水"), big=True),
    DemoProduct("AC-F35", "变频空调挂机 1.5匹 新一级能效", "大家电", "KFR-35GW", 72, True, False,
                True, Decimal("3199.00"), ("制冷效果差", "室外机噪音很大", "显示屏报E1故障"),
                big=True),
    DemoProduct("MW-M20", "微波炉 20L 转盘式", "厨房电器", "M20-T", 12, True, False, True,
                Decimal("459.00"), ("转盘不转", "加热时打火花", "按键无反应")),
    DemoProduct("RF-S500", "对开门冰箱 500L 风冷无霜", "大家电", "BCD-500W", 36, True, False, True,
                Decimal("4599.00"), ("冷藏室不制冷", "压缩机异响", "门体关不严"), big=True),
    DemoProduct("TB-S3", "声波电动牙刷", "个护健康", "S3", 24, False, False, False,
                Decimal("199.00"), ("充不进电", "震动时断时续")),
    DemoProduct("EP-T5", "真无线降噪蓝牙耳机", "影音娱乐", "T5-ANC", 12, False, False, True,
                Decimal("699.00"), ("左耳无声", "开降噪有电流声", "充电盒无法充电")),
    DemoProduct("CP-K500", "定制刻字保温杯 500ml", "家居日用", "K500", 12, False, True, False,
                Decimal("89.00"), ("保温效果差", "杯盖漏水")),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
)
GIVEN_NAMES = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "婷", "晨", "浩然", "子涵", "欣怡", "梓轩",
    "雨桐", "思远", "佳琪", "宇航", "一鸣", "建华", "玉兰", "文博", "海燕", "志刚", "丹丹",
]
ADDRESSES = [
    "浙江省杭州市西湖区文三路{n}号",
    "上海市浦东新区张杨路{n}弄",
    "北京市朝阳区建国路{n}号院",
    "广东省深圳市南山区科技园南路{n}号",
    "江苏省南京市鼓楼区中山北路{n}号",
    "四川省成都市武侯区天府大道{n}号",
    "湖北省武汉市洪山区珞喻路{n}号",
    "山东省青岛市市南区香港中路{n}号",
    "陕西省西安市雁塔区科技路{n}号",
    "广东省广州市天河区天河路{n}号",
    "福建省厦门市思明区湖滨南路{n}号",
    "河南省郑州市金水区花园路{n}号",
]
CITIES = ["杭州", "上海", "北京", "深圳", "南京", "成都", "武汉", "青岛", "西安", "广州", "厦门"]


@dataclass(frozen=True)
class Scenario:
    """One kind of complaint: what the customer says and how the shop typically handles it."""

    category: str
    subcategory: str
    request_type: str
    department: str
    weight: int
    texts: tuple[str, ...]
    requests: tuple[str, ...]
    cause: str
    liability: str
    solutions: tuple[str, ...]
    nature: tuple[str, ...] = ()
    needs_product: bool = True
    big_only: bool = False
    not_liable: str = ""
    on_spot: str = ""  # how an agent settles it during the first contact, when that is possible
    severities: tuple[str, ...] = ("S2", "S3", "S3", "S4", "S4", "S4", "S4", "S5")
    extras: tuple[str, ...] = field(default=(
        "", "已经按说明书操作过，重启也没用。", "家里老人孩子每天都要用，很着急。",
        "之前联系过客服，说会有人回电，一直没有消息。", "照片和视频已经拍好，可以提供。",
    ))


SCENARIOS = [
    Scenario(
        "QUAL", "FUNC", "QUALITY", "QA", 22,
        ("收到的{product}用了{days}天就出现{fault}的问题。{extra}",
         "{product}购买不到一个月，{fault}，{extra}",
         "新买的{product}{fault}，怀疑是质量问题。{extra}"),
        ("要求换新", "要求免费维修", "要求退货退款", "希望尽快上门检测"),
        "QUALITY_DEFECT", "COMPANY", ("REPAIR", "EXCHANGE", "RETURN_REFUND", "PARTS"),
        nature=("PRODUCTION", "MATERIAL", "DESIGN"),
        not_liable="经检测，{product}故障系进水导致主板短路，属于人为损坏，不在三包范围内。"
                   "我们可提供付费维修，报价已通过短信发送，供您参考。",
        on_spot="电话指导客户恢复出厂设置后，{product}恢复正常，客户表示认可。",
    ),
    Scenario(
        "QUAL", "SAFETY", "QUALITY", "QA", 4,
        ("{product}使用时电源线冒烟并有焦味，存在安全隐患，幸好没有人受伤。{extra}",
         "{product}外壳带电，手碰到有明显麻感，非常危险。",
         "{product}充电时发烫鼓包，担心会起火。"),
        ("要求退货退款并出具检测结论", "要求赔偿并排查同批次产品"),
        "QUALITY_DEFECT", "COMPANY", ("RETURN_REFUND", "COMPENSATION"),
        nature=("DESIGN", "MATERIAL"), severities=("S1", "S1", "S2", "S2", "S2"),
    ),
    Scenario(
        "QUAL", "STD", "QUALITY", "QA", 3,
        ("{product}实测功率比铭牌标称低三成，与国家标准不符。",
         "{product}的能效标识与实际耗电明显不符，每天多耗不少电。"),
        ("要求退货退款", "要求给出检测报告"),
        "QUALITY_DEFECT", "SUPPLIER", ("EXCHANGE", "RETURN_REFUND", "EXPLAIN"),
        nature=("PRODUCTION", "MATERIAL"),
    ),
    Scenario(
        "QUAL", "SPEC", "RETURN_EXCHANGE", "WH", 6,
        ("收到的{product}与页面描述不符：颜色发错了，下单白色收到灰色。",
         "{product}型号不对，页面写的是{model}升级款，收到的是老款。",
         "{product}少发了配件，包装里没有说明书和充电器。"),
        ("要求换成正确的商品", "要求补发配件", "要求退货退款"),
        "HUMAN", "COMPANY", ("EXCHANGE", "PARTS", "RETURN_REFUND"), nature=("OPERATION",),
    ),
    Scenario(
        "LOGI", "DELAY", "LOGISTICS", "LOGI", 10,
        ("订单{order}承诺三天内送达，已经超时{days}天还没收到，物流信息一直停在{city}转运中心。",
         "买的{product}说好次日达，现在第{days}天了还没到，客服只会让我等。"),
        ("要求尽快送达并给予补偿", "不想要了，要求取消订单退款", "要求说明延误原因"),
        "OTHER", "CARRIER", ("COUPON", "COMPENSATION", "EXPLAIN"),
        not_liable="经核实，延误系{city}地区持续暴雨导致道路封闭，属不可抗力，"
                   "现已恢复配送，预计明天送达，请您留意电话。",
        on_spot="查询物流后告知客户包裹已到达派送站点、今天送达，客户表示接受。",
    ),
    Scenario(
        "LOGI", "DAMAGE", "LOGISTICS", "WH", 6,
        ("快递送到时外箱破损，打开发现{product}外壳摔裂。",
         "签收后开箱发现{product}有明显磕碰变形，快递员已经走了。"),
        ("要求换新", "要求退货退款"),
        "OTHER", "CARRIER", ("EXCHANGE", "RETURN_REFUND"),
    ),
    Scenario(
        "LOGI", "COURIER", "LOGISTICS", "LOGI", 4,
        ("快递员没有送货上门，直接把{product}放在小区门口，还不接电话。",
         "配送员在电话里态度恶劣，还骂人。",
         "未经同意就把包裹放进快递柜，还要收超时费。"),
        ("要求快递公司道歉", "要求处理该配送员"),
        "HUMAN", "CARRIER", ("EXPLAIN", "COUPON"), needs_product=False,
    ),
    Scenario(
        "SVC", "INSTALL", "USAGE_INSTALL", "FIELD", 5,
        ("预约的{product}安装师傅迟到三个小时，也没有提前通知。",
         "{product}安装后发现打孔位置错误，墙面受损。",
         "安装{product}时师傅额外收取了不合理的辅材费。"),
        ("要求退还多收的费用", "要求赔偿墙面损失", "要求重新安装"),
        "HUMAN", "COMPANY", ("REPAIR", "COMPENSATION", "EXPLAIN"), nature=("OPERATION",),
        big_only=True,
    ),
    Scenario(
        "SVC", "REPAIR_QUALITY", "QUALITY", "FIELD", 4,
        ("{product}上次维修后不到一周，同样的问题（{fault}）又出现了，这已经是第二次报修。",),
        ("要求换新", "要求退货退款"),
        "QUALITY_DEFECT", "COMPANY", ("REPAIR", "EXCHANGE"), nature=("PRODUCTION", "OPERATION"),
    ),
    Scenario(
        "SVC", "ATTITUDE", "CONSULT", "ASD", 4,
        ("在线客服回复敷衍，同一个问题问了三遍都是机器人回复。",
         "客服说不清楚就直接结束了会话，体验很差。"),
        ("要求客服道歉并给出解决办法",),
        "HUMAN", "COMPANY", ("EXPLAIN", "COUPON", "POINTS"), needs_product=False,
        on_spot="当场向客户致歉并重新解答问题，客户表示理解。",
    ),
    Scenario(
        "SVC", "TIMELINESS", "RETURN_EXCHANGE", "ASD", 4,
        ("{product}申请售后已经{days}天了，一直没有人联系我。",
         "退货申请提交一周了还在审核中，没有任何进展。"),
        ("要求尽快处理", "要求说明处理进度"),
        "HUMAN", "COMPANY", ("EXPLAIN", "COUPON"),
    ),
    Scenario(
        "PRICE", "PRICE_CHANGE", "RETURN_EXCHANGE", "ASD", 6,
        ("买了{product}第{days}天就降价{amount}元，页面写着保价30天。",),
        ("要求补差价",),
        "OTHER", "COMPANY", ("PRICE_DIFF", "COUPON"),
        not_liable="经核实，降价为限时秒杀活动，按活动规则不参与保价，感谢您的理解。",
    ),
    Scenario(
        "PRICE", "PRICE_ERROR", "RETURN_EXCHANGE", "ASD", 2,
        ("{product}页面标价{price}元，结算时变成了{higher}元。",),
        ("要求按标价结算并退还差额",),
        "SOFTWARE", "COMPANY", ("PRICE_DIFF", "REFUND", "EXPLAIN"),
    ),
    Scenario(
        "PROMO", "FALSE_AD", "RETURN_EXCHANGE", "ASD", 2,
        ("{product}宣传写着“超长续航、一键除菌99.9%”，实际完全做不到。",),
        ("要求退货退款", "要求赔偿"),
        "HUMAN", "COMPANY", ("RETURN_REFUND", "COMPENSATION", "EXPLAIN"),
        severities=("S2", "S3", "S3"),
    ),
    Scenario(
        "PROMO", "RULE_BREACH", "RETURN_EXCHANGE", "ASD", 3,
        ("参加满1000减100活动购买{product}，下单后没有享受到优惠。",),
        ("要求退还优惠金额",),
        "SOFTWARE", "COMPANY", ("PRICE_DIFF", "COUPON"),
        on_spot="向客户解释活动规则，并当场补发同等金额的优惠券，客户表示理解。",
    ),
    Scenario(
        "COUPON", "UNUSABLE", "CONSULT", "ASD", 3,
        ("领取的{amount}元优惠券在结算时提示“不满足使用条件”，实际订单已满足门槛。",),
        ("要求补发优惠券",),
        "SOFTWARE", "COMPANY", ("COUPON",), needs_product=False,
        on_spot="当场为客户补发同面额优惠券，客户表示满意。",
    ),
    Scenario(
        "COUPON", "MISSING", "CONSULT", "ASD", 2,
        ("订单完成后承诺赠送的500积分一直没有到账。",),
        ("要求补发积分",),
        "SOFTWARE", "COMPANY", ("POINTS",), needs_product=False,
        on_spot="人工补录积分，客户当场确认已到账。",
    ),
    Scenario(
        "COUPON", "EXPIRED", "CONSULT", "ASD", 1,
        ("优惠券有效期写到月底，现在就显示已过期。",),
        ("要求延长有效期或补发",),
        "SOFTWARE", "COMPANY", ("COUPON", "POINTS"), needs_product=False,
    ),
    Scenario(
        "APP", "", "CONSULT", "ASD", 2,
        ("在APP里提交售后申请时一直闪退，照片也上传不了。",),
        ("希望尽快修复", "请人工帮我提交申请"),
        "SOFTWARE", "COMPANY", ("GUIDANCE", "EXPLAIN"), needs_product=False,
        on_spot="指导客户清除APP缓存并升级到最新版本后可以正常提交，客户表示满意。",
    ),
    Scenario(
        "OTHER", "", "INVOICE", "ASD", 2,
        ("申请的增值税专用发票抬头开错了，需要重新开具。",),
        ("要求重开发票",),
        "HUMAN", "COMPANY", ("EXPLAIN",), needs_product=False,
    ),
    Scenario(
        "PRIVACY", "", "CONSULT", "ASD", 1,
        ("刚下单就接到陌生推销电话，对方能说出我买的商品，怀疑个人信息被泄露。",),
        ("要求说明情况并保护个人信息",),
        "OTHER", "COMPANY", ("EXPLAIN",), needs_product=False, severities=("S2", "S3"),
    ),
    Scenario(
        "CONTRACT", "", "USAGE_INSTALL", "ASD", 1,
        ("购买的延保服务合同约定上门维修，现在却要求我自己把{product}寄回去修。",),
        ("要求按合同上门维修",),
        "HUMAN", "COMPANY", ("REPAIR", "EXPLAIN"), big_only=True,
    ),
]

MEASURES = {
    "REPAIR": "安排{department}上门检测维修，更换故障部件，维修后延长保修三个月。",
    "EXCHANGE": "为客户办理换新，新品由仓库直发，旧品上门取回。",
    "RETURN_REFUND": "安排上门取件，仓库收货检验后三个工作日内原路退款。",
    "REFUND": "核实后原路退还多收款项。",
    "PARTS": "补发缺失配件，顺丰次日达。",
    "GUIDANCE": "电话远程指导客户完成操作，并发送图文说明。",
    "PRICE_DIFF": "按价保规则退还差价{amount}元至原支付账户。",
    "COUPON": "补发无门槛优惠券一张作为补偿。",
    "POINTS": "补发积分并将即将过期的积分延期三个月。",
    "COMPENSATION": "向客户致歉，并给予{amount}元补偿。",
    "EXPLAIN": "向客户说明原因和处理依据，并将问题反馈相关部门整改。",
}
REPLIES = [
    "您好，关于您反映的问题，我们已{measures}给您带来的不便深表歉意，如有疑问请随时联系我们。",
    "您好，经核实，{measures}感谢您的耐心等待，后续如有任何问题欢迎随时联系客服。",
]
ACKNOWLEDGEMENTS = [
    "您好，您的投诉已受理，{department}正在核实处理，预计{date}前给您答复。",
    "您好，我们已收到您的反馈，已转{department}跟进，预计{date}前联系您。",
]
REJECTIONS = [
    ("UNIDENTIFIABLE", "您好，多次回拨您留下的电话均无人接听，且未提供订单信息，暂无法受理，"
                       "请补充信息后重新提交。"),
    ("OUT_OF_REMIT", "您好，您购买的商品由第三方店铺销售发货，请联系该店铺处理，"
                     "我们可以协助提供店铺联系方式。"),
    ("NO_FACTS", "您好，您的反馈中没有具体的问题和诉求，请补充说明后我们再为您处理。"),
    ("DUPLICATE", "您好，该问题已在您之前的投诉中处理，本次反馈将合并处理。"),
]
PLAN_RETURNS = [
    "请补充质检报告后再提交。",
    "补偿金额超出标准，请按补偿规则调整方案。",
    "责任部门认定依据不足，请与质量管理部确认后重新提交。",
]
DECLINES = [
    "只接受退货退款，不接受维修。",
    "补偿金额太少，不能接受。",
    "希望直接换新，不想再等检测。",
]
SATISFIED_COMMENTS = ["处理很及时，满意。", "客服态度很好，谢谢。", "问题已经解决了。", "", ""]
DISSATISFIED_COMMENTS = [
    "更换后问题依旧存在。",
    "说好三天内上门，结果一直没人来。",
    "补偿和当初承诺的不一样。",
]
REOPEN_REASONS = [
    "客户来电反映问题再次出现，需重新处理。",
    "客户对处理结果不满意，要求重新核实。",
]
ESCALATIONS = [
    "客户多次来电催促，情绪激动。",
    "已超过承诺的处理时限。",
    "客户表示将向12315投诉。",
]
INTERNAL_NOTES = [
    "已联系客户确认故障现象，约定明天上午回电。",
    "已申请备件，预计两天到货。",
    "同批次已出现类似问题，已通知质量管理部排查。",
    "客户要求只通过短信联系，白天不方便接电话。",
]
CUSTOMER_MESSAGES = [
    "您好，您的投诉我们正在处理中，预计两个工作日内给您答复，请保持电话畅通。",
    "您好，为尽快核实问题，请在本页面上传商品故障部位的照片或视频，谢谢。",
]

CANNED_RESPONSES = [
    ("受理告知", "您好，您反映的问题我们已经登记受理，工单号为【工单号】。"
                 "我们将在1个工作日内与您联系，请保持电话畅通。", "COMPLAINT"),
    ("致歉与进度说明", "您好，非常抱歉给您带来不便。您的问题已转【责任部门】处理，"
                       "目前正在核实中，预计【日期】前给您答复。", "COMPLAINT"),
    ("物流延误致歉", "您好，很抱歉您的包裹未能按时送达。我们已联系承运商加急处理，"
                     "并为您申请了延误补偿，预计【日期】送达。", "COMPLAINT"),
    ("质量问题检测说明", "您好，为准确判断问题原因，需要对商品进行检测。"
                         "我们将安排上门取件，检测结果出来后第一时间告知您。", "COMPLAINT"),
    ("处理方案确认", "您好，针对您反映的问题，我们拟定的处理方案如下：【方案】。"
                     "请您确认是否同意，我们会在您确认后立即执行。", "COMPLAINT"),
    ("不予受理说明", "您好，经核实，您反映的问题暂不符合受理条件，原因是：【原因】。"
                     "如有新的情况，欢迎补充后重新提交。", "COMPLAINT"),
    ("回访问候", "您好，我是客服【姓名】。想了解一下您对本次投诉的处理结果是否满意，"
                 "还有没有需要我们帮助的地方？", "COMPLAINT"),
    ("退款到账说明", "您好，退款已按原支付方式退回。银行卡一般1至3个工作日到账，"
                     "微信和支付宝通常即时到账。", ""),
    ("三包政策说明", "您好，根据《部分商品修理更换退货责任规定》，三包商品自售出之日起7日内"
                     "出现性能故障，您可以选择退货、换货或修理；15日内可以选择换货或修理。", ""),
    ("七日无理由退货说明", "您好，网购商品自签收次日起7日内，在商品完好的前提下可申请无理由退货。"
                           "定制商品等不适用无理由退货。", ""),
]
