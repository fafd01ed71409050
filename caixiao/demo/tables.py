"""The demo company's source tables: 上海恒通五金机电有限公司, a hardware and electrical-supplies
trader with a head warehouse in Shanghai and a branch warehouse in Guangzhou.

Plain data only; ``caixiao.demo.data`` turns it into records through the domain services. The text
is Chinese on purpose: it is the business content a Chinese trading company would enter."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "caixiao-demo"

COMPANY_CODE = "HT"
COMPANY_NAME = "上海恒通五金机电有限公司"
EMAIL_DOMAIN = "hengtong.example.com"

# Organisation ---------------------------------------------------------------------------------
# code, name, parent code; the company itself is the root department.
DEPARTMENTS = [
    (COMPANY_CODE, COMPANY_NAME, None),
    ("HT-GM", "总经办", COMPANY_CODE),
    ("HT-SALES", "销售部", COMPANY_CODE),
    ("HT-SALES-EC", "华东销售组", "HT-SALES"),
    ("HT-SALES-SC", "华南销售组", "HT-SALES"),
    ("HT-PUR", "采购部", COMPANY_CODE),
    ("HT-WH", "仓储部", COMPANY_CODE),
    ("HT-QC", "质检部", COMPANY_CODE),
    ("HT-FIN", "财务部", COMPANY_CODE),
]

# department code → username of its head
DEPARTMENT_HEADS = {
    COMPANY_CODE: "ceo",
    "HT-GM": "ceo",
    "HT-SALES": "salesmgr",
    "HT-SALES-EC": "salesmgr",
    "HT-SALES-SC": "salesmgr",
    "HT-PUR": "purchmgr",
    "HT-WH": "warehouse",
    "HT-QC": "qc",
    "HT-FIN": "cfo",
}

# code, name, department code
POSITIONS = [
    ("GM", "总经理", "HT-GM"),
    ("IT-ADMIN", "系统管理员", "HT-GM"),
    ("SALES-MGR", "销售经理", "HT-SALES"),
    ("SALES-REP", "销售代表", "HT-SALES"),
    ("PUR-MGR", "采购经理", "HT-PUR"),
    ("BUYER", "采购专员", "HT-PUR"),
    ("WH-KEEPER", "仓库主管", "HT-WH"),
    ("QC-INSPECTOR", "质检员", "HT-QC"),
    ("ACCOUNTANT", "会计", "HT-FIN"),
    ("CFO", "财务总监", "HT-FIN"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    last_name: str
    first_name: str
    department: str | None
    position: str | None
    manager: str | None = None

    @property
    def display_name(self) -> str:
        return self.last_name + self.first_name


# The administrator comes first: it is the actor recorded on everything else the demo creates.
USERS = [
    DemoUser("admin", "administrator", "周", "敏", "HT-GM", "IT-ADMIN", "ceo"),
    DemoUser("ceo", "executive", "陈", "建国", "HT-GM", "GM"),
    DemoUser("salesmgr", "sales_manager", "王", "强", "HT-SALES", "SALES-MGR", "ceo"),
    DemoUser("sales", "sales_rep", "李", "娜", "HT-SALES-EC", "SALES-REP", "salesmgr"),
    DemoUser("sales2", "sales_rep", "陈", "静", "HT-SALES-SC", "SALES-REP", "salesmgr"),
    DemoUser("purchmgr", "purchasing_manager", "孙", "丽", "HT-PUR", "PUR-MGR", "ceo"),
    DemoUser("buyer", "buyer", "赵", "磊", "HT-PUR", "BUYER", "purchmgr"),
    DemoUser("warehouse", "warehouse_clerk", "刘", "洋", "HT-WH", "WH-KEEPER", "ceo"),
    DemoUser("qc", "qc_inspector", "吴", "芳", "HT-QC", "QC-INSPECTOR", "ceo"),
    DemoUser("finance", "finance", "郑", "红", "HT-FIN", "ACCOUNTANT", "cfo"),
    DemoUser("cfo", "finance_director", "钱", "伟", "HT-FIN", "CFO", "ceo"),
    # The supplier's portal user belongs to the supplier, not to the company's organisation.
    DemoUser("supplier", "supplier", "黄", "志明", None, None),
]
SUPPLIER_USER_SUPPLIER = "S001"

# Catalog --------------------------------------------------------------------------------------
# code, name, decimal places
UNITS = [
    ("PCS", "个", 0), ("BA", "把", 0), ("TAO", "套", 0), ("TAI", "台", 0), ("ZHI", "只", 0),
    ("DING", "顶", 0), ("PR", "双", 0), ("FU", "副", 0), ("JIAN", "件", 0), ("PIAN", "片", 0),
    ("GEN", "根", 0), ("HE", "盒", 0), ("BAG", "包", 0), ("CTN", "箱", 0), ("PAN", "盘", 0),
    ("JUAN", "卷", 0), ("M", "米", 2), ("KG", "千克", 3),
]

# code, name, usual markup on the purchase price, GS1 China company prefix for its barcodes
CATEGORIES = [
    ("HAND", "手动工具", "1.35", "6923851"),
    ("POWER", "电动工具", "1.28", "6935072"),
    ("FAST", "紧固件", "1.45", "6941267"),
    ("ELEC", "电工电料", "1.32", "6954318"),
    ("SAFE", "劳保用品", "1.40", "6970493"),
    ("MEAS", "量具仪表", "1.38", "6938826"),
    ("PIPE", "管件阀门", "1.40", "6947715"),
    ("WELD", "焊接耗材", "1.30", "6961540"),
]


@dataclass(frozen=True)
class Item:
    """A product family; each variant (size, purchase price) becomes one product."""

    name: str
    unit: str
    packs: tuple[tuple[str, str], ...]  # (unit code, base units per unit), the purchase pack first; may be empty
    needs_qc: bool
    specification: str
    variants: tuple[tuple[str, str], ...]


def item(name: str, unit: str, packs: list[tuple[str, str]], needs_qc: bool, specification: str,
         variants: list[tuple[str, str]]) -> Item:
    return Item(name, unit, tuple(packs), needs_qc, specification, tuple(variants))


ITEMS: dict[str, list[Item]] = {
    "HAND": [
        item("钢丝钳", "BA", [("CTN", "60")], False, "铬钒钢 绝缘手柄",
             [("6寸", "14.50"), ("7寸", "16.80"), ("8寸", "19.60")]),
        item("尖嘴钳", "BA", [("CTN", "60")], False, "铬钒钢 绝缘手柄", [("6寸", "12.80"), ("8寸", "15.20")]),
        item("斜口钳", "BA", [("CTN", "60")], False, "铬钒钢 绝缘手柄", [("6寸", "13.50"), ("7寸", "15.90")]),
        item("活动扳手", "BA", [("CTN", "50")], False, "铬钒钢 镀铬 开口可调",
             [("6寸", "11.20"), ("8寸", "14.60"), ("10寸", "19.80"), ("12寸", "26.50")]),
        item("梅花扳手套装", "TAO", [("CTN", "20")], False, "铬钒钢 双头梅花 帆布包",
             [("8件套 6-22mm", "58.00"), ("11件套 6-32mm", "96.00")]),
        item("内六角扳手套装", "TAO", [("CTN", "40")], False, "S2钢 球头 塑料收纳架",
             [("9件 公制1.5-10mm", "18.50"), ("9件 加长型1.5-10mm", "26.00")]),
        item("十字螺丝刀", "BA", [("CTN", "120")], False, "S2钢 磁性刀头 双色柄",
             [("PH1×75mm", "4.20"), ("PH2×100mm", "5.10"), ("PH2×150mm", "6.30")]),
        item("一字螺丝刀", "BA", [("CTN", "120")], False, "S2钢 磁性刀头 双色柄",
             [("3×75mm", "3.90"), ("6×100mm", "4.80"), ("6×150mm", "5.90")]),
        item("羊角锤", "BA", [("CTN", "24")], False, "高碳钢锻造 纤维柄", [("0.25kg", "16.00"), ("0.5kg", "21.50")]),
        item("钢卷尺", "PCS", [("CTN", "100")], False, "自锁 公制刻度 防摔外壳",
             [("3m×16mm", "6.80"), ("5m×19mm", "9.50"), ("7.5m×25mm", "15.80")]),
        item("美工刀", "BA", [("CTN", "200")], False, "锌合金刀身 自锁", [("18mm 大号", "3.60")]),
        item("管子钳", "BA", [("CTN", "20")], False, "球墨铸铁 美式重型",
             [("10寸", "28.00"), ("14寸", "39.50"), ("18寸", "56.00")]),
    ],
    "POWER": [
        item("冲击钻", "TAI", [("CTN", "6")], True, "220V 13mm夹头 正反转调速",
             [("550W", "168.00"), ("710W", "215.00"), ("850W", "268.00")]),
        item("锂电钻", "TAI", [("CTN", "6")], True, "无刷电机 双电池套装", [("12V", "285.00"), ("20V", "468.00")]),
        item("角磨机", "TAI", [("CTN", "10")], True, "220V 手提式 侧手柄",
             [("100型 750W", "118.00"), ("125型 1100W", "186.00")]),
        item("电锤", "TAI", [("CTN", "4")], True, "三功能 SDS-plus 夹头",
             [("26mm 800W", "298.00"), ("28mm 1050W", "386.00")]),
        item("电圆锯", "TAI", [("CTN", "4")], True, "220V 1200W 可调切深", [("7寸 185mm", "328.00")]),
        item("曲线锯", "TAI", [("CTN", "6")], True, "220V 无级调速 斜切45°", [("650W", "228.00")]),
        item("热风枪", "TAI", [("CTN", "10")], True, "220V 两档调温", [("2000W", "96.00")]),
        item("锂电扳手", "TAI", [("CTN", "6")], True, "无刷 20V 锂电 1/2方头",
             [("350N·m", "520.00"), ("600N·m", "698.00")]),
        item("型材切割机", "TAI", [], True, "220V 2200W 快速夹钳", [("355mm", "468.00")]),
        item("电磨", "TAI", [("CTN", "10")], True, "220V 六档调速 含配件", [("180W", "89.00")]),
        item("抛光机", "TAI", [("CTN", "4")], True, "220V 六档调速", [("180mm 1400W", "265.00")]),
        item("锂电池包", "PCS", [("CTN", "20")], True, "20V 平台通用 电量显示",
             [("2.0Ah", "118.00"), ("4.0Ah", "198.00")]),
        item("锂电充电器", "PCS", [("CTN", "20")], True, "20V 平台 快充", [("标准型", "68.00")]),
        item("工业鼓风机", "TAI", [("CTN", "6")], True, "220V 吹吸两用", [("600W", "98.00")]),
    ],
    "FAST": [
        item("外六角螺栓", "PCS", [("HE", "100"), ("CTN", "2000")], False, "GB/T 5783 8.8级 镀锌",
             [("M6×20", "0.12"), ("M6×30", "0.15"), ("M8×25", "0.22"), ("M8×40", "0.28"),
              ("M10×30", "0.42"), ("M10×50", "0.55"), ("M12×40", "0.78"), ("M12×60", "0.98")]),
        item("六角螺母", "PCS", [("HE", "500"), ("CTN", "10000")], False, "GB/T 6170 8级 镀锌",
             [("M6", "0.03"), ("M8", "0.06"), ("M10", "0.11"), ("M12", "0.18"), ("M16", "0.42")]),
        item("平垫圈", "PCS", [("HE", "1000"), ("CTN", "20000")], False, "GB/T 97.1 镀锌",
             [("M6", "0.012"), ("M8", "0.018"), ("M10", "0.028"), ("M12", "0.045")]),
        item("弹簧垫圈", "PCS", [("HE", "1000"), ("CTN", "20000")], False, "GB/T 93 65Mn 发黑",
             [("M8", "0.02"), ("M10", "0.03"), ("M12", "0.05")]),
        item("膨胀螺栓", "PCS", [("HE", "50"), ("CTN", "500")], False, "碳钢 镀锌 四件套",
             [("M8×80", "0.65"), ("M10×100", "1.05"), ("M12×120", "1.68")]),
        item("十字盘头自攻螺钉", "PCS", [("HE", "1000"), ("CTN", "20000")], False, "GB/T 845 碳钢 镀锌",
             [("ST3.5×16", "0.015"), ("ST4.2×25", "0.022"), ("ST4.8×38", "0.035")]),
        item("内六角圆柱头螺钉", "PCS", [("HE", "100"), ("CTN", "2000")], False, "GB/T 70.1 304不锈钢",
             [("M5×16", "0.18"), ("M6×20", "0.26"), ("M8×30", "0.55")]),
        item("外六角螺栓(散装)", "KG", [("CTN", "25")], False, "8.8级 镀锌 混装 按重量计",
             [("M10系列", "12.50"), ("M12系列", "12.20")]),
        item("化学锚栓", "PCS", [("HE", "20"), ("CTN", "200")], False, "5.8级 镀锌 含药剂管",
             [("M12×160", "4.80"), ("M16×190", "8.90")]),
        item("抽芯铆钉", "PCS", [("HE", "1000"), ("CTN", "20000")], False, "铝铆钉体 铁芯",
             [("4×10", "0.018"), ("4×16", "0.022")]),
    ],
    "ELEC": [
        item("BV铜芯电线", "M", [("JUAN", "100")], True, "国标 单芯硬线 450/750V",
             [("1.5mm² 红", "1.45"), ("2.5mm² 红", "2.30"), ("4mm² 黄绿", "3.60"), ("6mm² 黄绿", "5.40")]),
        item("RVV护套线", "M", [("JUAN", "100")], True, "国标 铜芯 300/500V",
             [("2×1.0mm²", "2.10"), ("3×1.5mm²", "3.80"), ("3×2.5mm²", "6.10")]),
        item("小型断路器", "PCS", [("HE", "12"), ("CTN", "240")], True, "C型 6kA 导轨安装",
             [("1P 16A", "12.50"), ("1P 32A", "13.80"), ("2P 32A", "28.60"), ("3P 63A", "52.00")]),
        item("漏电保护断路器", "PCS", [("HE", "6"), ("CTN", "120")], True, "30mA 0.1s C型",
             [("1P+N 16A", "38.00"), ("1P+N 32A", "42.00"), ("3P+N 63A", "128.00")]),
        item("五孔插座", "PCS", [("HE", "10"), ("CTN", "200")], False, "86型 10A 阻燃PC面板", [("白色", "5.80")]),
        item("单开单控开关", "PCS", [("HE", "10"), ("CTN", "200")], False, "86型 10A 阻燃PC面板", [("白色", "4.20")]),
        item("工业插头插座", "TAO", [("CTN", "40")], True, "IP44 防水 阻燃尼龙",
             [("16A 3芯", "16.50"), ("32A 4芯", "32.00")]),
        item("PVC电工胶带", "JUAN", [("CTN", "200")], False, "阻燃 0.13mm×18mm×10m", [("黑色", "1.20"), ("红色", "1.20")]),
        item("超五类网线", "M", [("CTN", "305")], False, "非屏蔽 无氧铜 0.5mm", [("灰色", "0.95")]),
        item("冷压接线端子", "PCS", [("HE", "100"), ("CTN", "5000")], False, "紫铜 镀锡 OT型",
             [("OT-6", "0.08"), ("OT-10", "0.12"), ("OT-16", "0.18")]),
        item("LED工矿灯", "TAI", [("CTN", "4")], True, "IP65 5700K 压铸铝外壳",
             [("100W", "118.00"), ("150W", "158.00")]),
        item("尼龙扎带", "BAG", [("CTN", "100")], False, "尼龙66 自锁 100根/包",
             [("4×200mm", "3.20"), ("5×300mm", "6.50")]),
    ],
    "SAFE": [
        item("ABS安全帽", "DING", [("CTN", "20")], True, "GB 2811 一字型 带透气孔",
             [("白色", "16.50"), ("黄色", "16.50"), ("红色", "16.50"), ("蓝色", "16.50")]),
        item("丁腈浸胶手套", "PR", [("BAG", "12"), ("CTN", "240")], False, "丁腈浸胶 耐磨防滑",
             [("M码", "2.10"), ("L码", "2.10"), ("XL码", "2.30")]),
        item("棉纱手套", "PR", [("BAG", "12"), ("CTN", "600")], False, "600g 加厚 白色", [("均码", "0.95")]),
        item("防护眼镜", "FU", [("CTN", "100")], False, "防冲击 防雾 PC镜片", [("透明", "7.80"), ("茶色", "8.50")]),
        item("KN95防护口罩", "ZHI", [("HE", "50"), ("CTN", "1000")], True, "GB 2626 耳戴式 独立包装",
             [("均码", "0.85")]),
        item("反光背心", "JIAN", [("CTN", "100")], False, "网布 荧光黄 双条反光", [("均码", "6.50")]),
        item("安全鞋", "PR", [("CTN", "10")], True, "钢包头 防砸防刺穿 耐油",
             [("39码", "68.00"), ("40码", "68.00"), ("41码", "68.00"), ("42码", "68.00"),
              ("43码", "68.00"), ("44码", "70.00")]),
        item("防噪音耳塞", "PR", [("HE", "200"), ("CTN", "2000")], False, "PU慢回弹 SNR 35dB", [("带线", "0.65")]),
        item("全身式安全带", "TAO", [("CTN", "10")], True, "五点式 GB 6095 双大钩", [("标准型", "98.00")]),
        item("分体雨衣", "TAO", [("CTN", "20")], False, "反光条 牛津布", [("L码", "36.00"), ("XL码", "36.00")]),
    ],
    "MEAS": [
        item("数显游标卡尺", "BA", [("CTN", "40")], True, "不锈钢 分辨率0.01mm",
             [("0-150mm", "58.00"), ("0-200mm", "78.00"), ("0-300mm", "138.00")]),
        item("游标卡尺", "BA", [("CTN", "40")], True, "不锈钢 精度0.02mm", [("0-150mm", "32.00"), ("0-200mm", "45.00")]),
        item("外径千分尺", "BA", [("CTN", "20")], True, "分度值0.01mm 硬质合金测头",
             [("0-25mm", "68.00"), ("25-50mm", "82.00")]),
        item("数字万用表", "TAI", [("CTN", "20")], True, "CAT III 600V 自动量程",
             [("标准型", "86.00"), ("真有效值型", "168.00")]),
        item("钳形电流表", "TAI", [("CTN", "20")], True, "AC/DC 1000A 真有效值", [("标准型", "198.00")]),
        item("激光测距仪", "TAI", [("CTN", "20")], True, "精度±2mm 红光",
             [("40m", "168.00"), ("70m", "238.00"), ("100m", "328.00")]),
        item("红外测温仪", "TAI", [("CTN", "20")], True, "-50~550℃ 背光显示", [("标准型", "128.00")]),
        item("铝合金水平尺", "BA", [("CTN", "50")], False, "强磁 三水泡", [("300mm", "18.00"), ("600mm", "29.00")]),
        item("不锈钢直尺", "BA", [("CTN", "100")], False, "加厚 双面刻度",
             [("300mm", "4.50"), ("500mm", "7.80"), ("1000mm", "16.00")]),
        item("数字兆欧表", "TAI", [("CTN", "10")], True, "绝缘电阻测试 2500V", [("2500V", "468.00")]),
        item("百分表", "TAO", [("CTN", "20")], True, "0-10mm 分度值0.01mm 含磁性表座", [("带表座", "96.00")]),
    ],
    "PIPE": [
        item("黄铜球阀", "PCS", [("CTN", "40")], True, "PN16 内丝 铝合金手柄",
             [("DN15 4分", "18.50"), ("DN20 6分", "26.80"), ("DN25 1寸", "39.50"), ("DN32 1.2寸", "62.00")]),
        item("PPR热水管", "M", [("GEN", "4")], False, "S3.2系列 4米/根",
             [("20mm", "3.20"), ("25mm", "4.80"), ("32mm", "7.60")]),
        item("PPR直接", "PCS", [("HE", "100"), ("CTN", "1000")], False, "PPR 热熔承插",
             [("20mm", "0.45"), ("25mm", "0.65"), ("32mm", "1.10")]),
        item("PPR弯头", "PCS", [("HE", "100"), ("CTN", "1000")], False, "PPR 90° 热熔承插",
             [("20mm", "0.55"), ("25mm", "0.80")]),
        item("不锈钢编织软管", "GEN", [("CTN", "100")], False, "304不锈钢 4分 双头螺母",
             [("40cm", "5.20"), ("60cm", "6.30"), ("80cm", "7.50")]),
        item("生料带", "JUAN", [("CTN", "200")], False, "PTFE 聚四氟乙烯 20m/卷", [("标准型", "0.85")]),
        item("不锈钢喉箍", "PCS", [("HE", "100"), ("CTN", "2000")], False, "304不锈钢 美式",
             [("10-16mm", "0.38"), ("16-25mm", "0.45"), ("32-50mm", "0.62")]),
        item("镀锌三通", "PCS", [("HE", "50"), ("CTN", "500")], False, "玛钢 热镀锌 内丝",
             [("DN20", "2.80"), ("DN25", "4.10")]),
        item("铸铁闸阀", "PCS", [], True, "法兰连接 PN16 明杆",
             [("DN50", "168.00"), ("DN80", "268.00")]),
    ],
    "WELD": [
        item("碳钢焊条 J422", "KG", [("CTN", "20"), ("BAG", "5")], True, "E4303 GB/T 5117",
             [("Φ2.5", "7.80"), ("Φ3.2", "7.20"), ("Φ4.0", "7.00")]),
        item("不锈钢焊条 A102", "KG", [("CTN", "20"), ("BAG", "5")], True, "E308-16 GB/T 983",
             [("Φ2.5", "58.00"), ("Φ3.2", "55.00")]),
        item("气保焊丝 ER50-6", "KG", [("PAN", "15")], True, "实心 镀铜 15kg/盘",
             [("Φ0.8", "8.20"), ("Φ1.0", "7.90"), ("Φ1.2", "7.60")]),
        item("树脂切割片", "PIAN", [("HE", "50"), ("CTN", "400")], False, "双网加强 金属用",
             [("105×1.2×16mm", "0.85"), ("125×1.2×22mm", "1.20"), ("355×3.0×25.4mm", "9.80")]),
        item("树脂砂轮片", "PIAN", [("HE", "25"), ("CTN", "200")], False, "打磨用 双网",
             [("100×6×16mm", "1.60"), ("125×6×22mm", "2.40")]),
        item("百叶片", "PIAN", [("HE", "10"), ("CTN", "200")], False, "氧化锆 平面型",
             [("100mm 80#", "1.80"), ("100mm 120#", "1.80")]),
        item("自动变光焊接面罩", "PCS", [("CTN", "10")], True, "头戴式 遮光号DIN9-13", [("标准型", "68.00")]),
        item("焊工手套", "PR", [("CTN", "60")], False, "牛二层皮 加长35cm 耐高温", [("均码", "12.50")]),
        item("电焊钳", "BA", [("CTN", "50")], False, "全铜 防烫手柄", [("500A", "18.00"), ("800A", "26.00")]),
        item("逆变直流电焊机", "TAI", [], True, "IGBT逆变 手工焊",
             [("ZX7-250 220V", "628.00"), ("ZX7-400 380V", "1180.00")]),
    ],
}

# Partners -------------------------------------------------------------------------------------
# code, name, area code (parent None) or province (parent = area)
REGIONS = [
    ("EC", "华东", None), ("SC", "华南", None), ("NC", "华北", None), ("CC", "华中", None), ("SW", "西南", None),
    ("EC-SH", "上海", "EC"), ("EC-JS", "江苏", "EC"), ("EC-ZJ", "浙江", "EC"), ("EC-AH", "安徽", "EC"),
    ("EC-SD", "山东", "EC"), ("SC-GD", "广东", "SC"), ("SC-FJ", "福建", "SC"), ("SC-GX", "广西", "SC"),
    ("NC-BJ", "北京", "NC"), ("NC-TJ", "天津", "NC"), ("NC-HE", "河北", "NC"), ("CC-HB", "湖北", "CC"),
    ("CC-HN", "湖南", "CC"), ("CC-HA", "河南", "CC"), ("SW-SC", "四川", "SW"), ("SW-CQ", "重庆", "SW"),
    ("SW-YN", "云南", "SW"),
]


@dataclass(frozen=True)
class City:
    region: str  # province-level region code
    province: str
    city: str
    districts: tuple[str, ...]
    postcode: str
    area_code: str  # telephone
    division: str  # administrative division code, the start of a unified social credit code


CITIES = [
    City("EC-SH", "上海市", "上海市", ("闵行区", "嘉定区", "宝山区", "浦东新区", "松江区"), "201100", "021", "310112"),
    City("EC-JS", "江苏省", "苏州市", ("工业园区", "吴中区", "相城区"), "215000", "0512", "320500"),
    City("EC-JS", "江苏省", "南京市", ("江宁区", "栖霞区"), "211100", "025", "320100"),
    City("EC-JS", "江苏省", "无锡市", ("新吴区", "惠山区"), "214000", "0510", "320200"),
    City("EC-JS", "江苏省", "常州市", ("武进区", "新北区"), "213000", "0519", "320400"),
    City("EC-ZJ", "浙江省", "杭州市", ("萧山区", "余杭区", "滨江区"), "311200", "0571", "330100"),
    City("EC-ZJ", "浙江省", "宁波市", ("北仑区", "鄞州区"), "315800", "0574", "330200"),
    City("EC-ZJ", "浙江省", "嘉兴市", ("南湖区", "秀洲区"), "314000", "0573", "330400"),
    City("EC-AH", "安徽省", "合肥市", ("蜀山区", "包河区"), "230000", "0551", "340100"),
    City("EC-SD", "山东省", "青岛市", ("黄岛区", "城阳区"), "266000", "0532", "370200"),
    City("EC-SD", "山东省", "济南市", ("历城区", "槐荫区"), "250000", "0531", "370100"),
    City("SC-GD", "广东省", "广州市", ("白云区", "番禺区", "黄埔区"), "510000", "020", "440100"),
    City("SC-GD", "广东省", "深圳市", ("宝安区", "龙岗区"), "518000", "0755", "440300"),
    City("SC-GD", "广东省", "东莞市", ("长安镇", "松山湖"), "523000", "0769", "441900"),
    City("SC-GD", "广东省", "佛山市", ("顺德区", "南海区"), "528000", "0757", "440600"),
    City("SC-FJ", "福建省", "厦门市", ("集美区", "海沧区"), "361000", "0592", "350200"),
    City("SC-FJ", "福建省", "福州市", ("仓山区", "马尾区"), "350000", "0591", "350100"),
    City("SC-GX", "广西壮族自治区", "南宁市", ("西乡塘区", "江南区"), "530000", "0771", "450100"),
    City("NC-BJ", "北京市", "北京市", ("大兴区", "顺义区", "朝阳区"), "100000", "010", "110115"),
    City("NC-TJ", "天津市", "天津市", ("滨海新区", "西青区"), "300000", "022", "120116"),
    City("NC-HE", "河北省", "石家庄市", ("裕华区", "长安区"), "050000", "0311", "130100"),
    City("CC-HB", "湖北省", "武汉市", ("东西湖区", "江夏区", "汉阳区"), "430000", "027", "420100"),
    City("CC-HN", "湖南省", "长沙市", ("雨花区", "岳麓区"), "410000", "0731", "430100"),
    City("CC-HA", "河南省", "郑州市", ("金水区", "管城回族区"), "450000", "0371", "410100"),
    City("SW-SC", "四川省", "成都市", ("武侯区", "双流区", "新都区"), "610000", "028", "510100"),
    City("SW-CQ", "重庆市", "重庆市", ("渝北区", "九龙坡区"), "401100", "023", "500112"),
    City("SW-YN", "云南省", "昆明市", ("官渡区", "五华区"), "650000", "0871", "530100"),
]

# How many customers each area gets (50 in all); the sales team that owns the area's accounts.
CUSTOMERS_PER_AREA = {"EC": 22, "SC": 12, "NC": 6, "CC": 5, "SW": 5}
AREA_ACCOUNT_MANAGER = {"EC": "sales", "NC": "sales", "SC": "sales2", "CC": "sales2", "SW": "sales2"}

# code, name, payment basis, days
PAYMENT_TERMS = [
    ("PREPAID", "款到发货", "prepaid", 0),
    ("INV30", "票到30天", "invoice", 30),
    ("ME30", "月结30天", "month_end", 30),
    ("ME60", "月结60天", "month_end", 60),
    ("ME90", "月结90天", "month_end", 90),
]


@dataclass(frozen=True)
class CustomerKind:
    code: str
    name: str
    count: int  # of the 50 customers
    credit_limit: tuple[int, int]  # in units of ten thousand yuan (万元)
    payment_terms: tuple[str, ...]
    name_suffixes: tuple[str, ...]


CUSTOMER_CATEGORIES = [
    CustomerKind("DEALER", "经销商", 18, (20, 60), ("ME30", "ME60"),
                 ("五金机电有限公司", "五金交电有限公司", "机电设备有限公司", "工具批发有限公司")),
    CustomerKind("END", "终端客户", 20, (5, 20), ("INV30", "ME30", "PREPAID"),
                 ("机械制造有限公司", "精密模具有限公司", "汽车零部件有限公司", "建设工程有限公司",
                  "物业服务有限公司", "电力安装工程有限公司", "包装材料有限公司", "钢结构工程有限公司")),
    CustomerKind("KEY", "大客户", 6, (100, 300), ("ME60", "ME90"),
                 ("重工集团有限公司", "建工集团有限公司", "轨道交通装备有限公司", "新能源科技股份有限公司",
                  "电气设备股份有限公司", "船舶重工有限公司")),
    CustomerKind("ECOM", "电商", 6, (10, 30), ("PREPAID", "ME30"),
                 ("电子商务有限公司", "工业品商城网络科技有限公司", "供应链管理有限公司")),
]

# Trade names (字号) for generated customers; each is used once.
TRADE_NAMES = [
    "鑫达", "华盛", "宏远", "永利", "金泰", "恒丰", "瑞祥", "东升", "天成", "顺昌", "博远", "联创", "锦程",
    "海川", "润发", "嘉诚", "长盛", "万通", "正阳", "福源", "志远", "恒信", "立德", "众合", "和泰", "明德",
    "新宇", "盛世", "昌隆", "汇通", "晨光", "鼎盛", "裕丰", "佳和", "广源", "金鹏", "华辰", "安泰", "凯达",
    "远航", "兴旺", "富力", "康达", "同创", "宝丰", "信诚", "卓越", "腾飞", "诚达", "恒远", "启航", "建华",
    "欣荣", "中泰", "宇通", "祥和", "益丰", "协力", "聚源", "天润",
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN_NAMES = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "春梅", "国庆", "雪梅", "文博",
    "子豪", "思远", "佳怡", "宏伟", "丽华", "建军", "德明", "晓丽", "振华",
]
CUSTOMER_CONTACT_TITLES = ["采购经理", "采购主管", "总经理", "设备科科长", "项目经理"]
CUSTOMER_SECOND_CONTACT_TITLES = ["财务对账", "仓库收货", "采购专员"]
STREETS = [
    "工业路", "兴业路", "长江路", "黄河路", "科技大道", "创业路", "金港路", "凤凰路", "环城东路", "建设路",
    "人民北路", "新华路", "物流园路", "五金城大道", "汇金路", "开发区大道",
]
# labels of the second delivery address some customers have
EXTRA_ADDRESS_LABELS = ["办公室", "项目工地"]


@dataclass(frozen=True)
class SupplierRow:
    code: str
    name: str
    categories: tuple[str, ...]
    rating: str
    lead_time_days: int
    payment_term: str
    division: str
    address: str
    phone: str
    bank: str
    contact: str  # 姓名, the sales contact


SUPPLIERS = [
    SupplierRow("S001", "浙江永康宏达工具有限公司", ("HAND", "POWER"), "A", 7, "ME30", "330784",
                "浙江省金华市永康市经济开发区金都路188号", "0579-87216688", "中国工商银行永康支行", "黄志明"),
    SupplierRow("S002", "永康市锐力电动工具有限公司", ("POWER",), "B", 10, "ME30", "330784",
                "浙江省金华市永康市古山镇工业区锐力路6号", "0579-87351122", "中国农业银行永康古山支行", "胡晓峰"),
    SupplierRow("S003", "苏州精工五金工具有限公司", ("HAND", "MEAS"), "B", 5, "ME60", "320505",
                "江苏省苏州市高新区珠江路518号", "0512-66183355", "中国银行苏州高新技术产业开发区支行", "顾文彬"),
    SupplierRow("S004", "宁波联强紧固件有限公司", ("FAST",), "A", 5, "ME30", "330212",
                "浙江省宁波市鄞州区姜山镇科技园区明光北路99号", "0574-88462233", "宁波银行鄞州支行", "应海波"),
    SupplierRow("S005", "浙江海盐恒固标准件有限公司", ("FAST",), "B", 7, "INV30", "330424",
                "浙江省嘉兴市海盐县武原街道长安北路1200号", "0573-86037788", "中国建设银行海盐支行", "沈国良"),
    SupplierRow("S006", "邯郸市永年区顺达紧固件厂", ("FAST",), "D", 12, "PREPAID", "130408",
                "河北省邯郸市永年区临洺关镇标准件市场东区18号", "0310-6815522", "河北银行邯郸永年支行", "武建国"),
    SupplierRow("S007", "温州德正电器有限公司", ("ELEC",), "A", 6, "ME30", "330382",
                "浙江省温州市乐清市柳市镇柳青北路365号", "0577-62715566", "中国工商银行乐清柳市支行", "郑光辉"),
    SupplierRow("S008", "乐清市宏泰电气有限公司", ("ELEC",), "C", 8, "ME30", "330382",
                "浙江省温州市乐清市北白象镇电器城大道88号", "0577-62981199", "浙江乐清农村商业银行白象支行", "林少华"),
    SupplierRow("S009", "东莞明辉线缆有限公司", ("ELEC",), "B", 9, "ME60", "441900",
                "广东省东莞市塘厦镇林村工业区明辉路3号", "0769-87925566", "中国建设银行东莞塘厦支行", "叶志伟"),
    SupplierRow("S010", "昆山安佳劳保用品有限公司", ("SAFE",), "B", 5, "ME30", "320583",
                "江苏省苏州市昆山市张浦镇德国工业园南港路28号", "0512-57456677", "江苏昆山农村商业银行张浦支行", "陆佳"),
    SupplierRow("S011", "广州护安防护用品有限公司", ("SAFE",), "C", 7, "INV30", "440111",
                "广东省广州市白云区太和镇大源北路168号", "020-87426699", "广州农村商业银行太和支行", "梁国栋"),
    SupplierRow("S012", "高密盾安劳保制品有限公司", ("SAFE",), "B", 10, "ME30", "370785",
                "山东省潍坊市高密市醴泉街道康成大街2999号", "0536-2357788", "潍坊银行高密支行", "单晓东"),
    SupplierRow("S013", "上海精测仪器仪表有限公司", ("MEAS",), "A", 4, "ME60", "310114",
                "上海市嘉定区马陆镇宝安公路2229号", "021-59178866", "上海浦东发展银行嘉定支行", "施振华"),
    SupplierRow("S014", "深圳优测电子科技有限公司", ("MEAS", "ELEC"), "B", 7, "INV30", "440306",
                "广东省深圳市宝安区石岩街道塘头大道128号", "0755-27638899", "招商银行深圳宝安支行", "钟伟强"),
    SupplierRow("S015", "玉环通达阀门有限公司", ("PIPE",), "B", 10, "ME30", "331083",
                "浙江省台州市玉环市沙门镇滨港工业城兴港东路56号", "0576-87221133", "浙江玉环农村商业银行沙门支行", "陈海军"),
    SupplierRow("S016", "佛山市南海华通管业有限公司", ("PIPE",), "C", 8, "INV30", "440605",
                "广东省佛山市南海区狮山镇松岗工业大道18号", "0757-85612288", "中国农业银行佛山狮山支行", "何志坚"),
    SupplierRow("S017", "天津滨海金焊焊材有限公司", ("WELD",), "A", 6, "ME30", "120116",
                "天津市滨海新区大港经济开发区港北路66号", "022-63121188", "中国银行天津大港支行", "刘振江"),
    SupplierRow("S018", "济南大成焊割设备有限公司", ("WELD", "POWER"), "B", 12, "ME30", "370112",
                "山东省济南市历城区工业北路2666号", "0531-88017755", "齐鲁银行济南历城支行", "孔德胜"),
    SupplierRow("S019", "丹阳恒锐磨具有限公司", ("WELD",), "C", 9, "PREPAID", "321181",
                "江苏省镇江市丹阳市经济开发区齐梁路99号", "0511-86551234", "江苏丹阳农村商业银行开发区支行", "束国华"),
    SupplierRow("S020", "上海鑫源五金交电有限公司", ("HAND", "FAST", "SAFE", "PIPE"), "B", 3, "ME30", "310117",
                "上海市松江区九亭镇沪松公路1399号", "021-57635588", "上海农村商业银行松江支行", "徐立新"),
]
SUPPLIER_SECOND_CONTACT_TITLE = "财务对账"

# Warehouses: code, name, address, (zones, rows, levels) for the bin grid, e.g. A-01-01.
WAREHOUSES = [
    ("SH01", "上海总仓", "上海市嘉定区马陆镇陈村路358号", ("A", "B", "C"), 5, 4),
    ("GZ01", "广州分仓", "广东省广州市白云区太和镇广从七路88号", ("A", "B"), 4, 3),
]

# The reason of the opening stock receipts (期初库存).
OPENING_STOCK_REASON = "期初库存"
