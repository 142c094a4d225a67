# ruff: noqa: RUF001
"""The classification taxonomy a regulator counts complaints by, shaped on the PBOC
standards (JR/T 0169-2018 for banks; the payment-institution edition has the same three
dimensions: business type, cause, channel), with a wallet's products and the root causes
found at resolution. ``maps_from`` ties the seed's categories and channels onto it: a new
complaint takes those codes until a clerk corrects them. Editable in the admin."""

from django.db import migrations

# dimension: [(code, name, name_zh, maps_from)]
CODES = {
    "business_type": [
        ("B01", "Payment", "支付业务", "transaction"),
        ("B02", "Account management", "账户管理", "account_locked"),
        ("B03", "Refund", "退款", "refund"),
        ("B04", "Personal financial information", "个人金融信息", "privacy"),
        ("B05", "Customer service", "客户服务", "slow_service"),
        ("B06", "Bank card acquiring", "银行卡收单", ""),
        ("B07", "Prepaid card", "预付卡", ""),
        ("B99", "Other business", "其他业务", "other"),
    ],
    "cause": [
        ("C01", "Service attitude", "服务态度", ""),
        ("C02", "Service quality", "服务质量", "slow_service"),
        ("C03", "System failure", "系统故障", "transaction"),
        ("C04", "Rules, procedures and processes", "管理制度、业务规则与流程", "account_locked"),
        ("C05", "Marketing methods", "营销方式和手段", ""),
        ("C06", "Information disclosure", "信息披露", ""),
        ("C07", "Pricing and fees", "定价收费", ""),
        ("C08", "Loss of funds", "资金损失", "refund"),
        ("C09", "Personal information protection", "个人信息保护", "privacy"),
        ("C99", "Other cause", "其他原因", "other"),
    ],
    "channel": [
        ("H01", "Phone hotline", "电话热线", "phone"),
        ("H02", "Online chat", "在线客服", "chat"),
        ("H03", "E-mail", "电子邮件", "email"),
        ("H04", "App", "移动应用", "app"),
        ("H05", "Website", "网站", "website"),
        ("H06", "Social media", "社交媒体", "social_media"),
        ("H07", "Regulator referral", "监管转办", "regulator"),
        ("H08", "Partner system", "合作机构转送", "partner_api"),
    ],
    "product": [
        ("P01", "Wallet balance", "余额账户", ""),
        ("P02", "Quick pay with a bound card", "快捷支付", ""),
        ("P03", "QR code payment", "扫码支付", ""),
        ("P04", "Transfer", "转账", ""),
        ("P05", "Credit payment", "信用支付", ""),
        ("P99", "Other product", "其他产品", ""),
    ],
    "root_cause": [
        ("R01", "System or technical defect", "系统或技术缺陷", ""),
        ("R02", "Staff error", "员工差错", ""),
        ("R03", "Gap in a process or rule", "流程或规则缺陷", ""),
        ("R04", "Third party (merchant, bank)", "第三方（商户、银行）", ""),
        ("R05", "Customer misunderstanding", "客户误解", ""),
        ("R06", "Fraud", "欺诈", ""),
        ("R99", "Other root cause", "其他根本原因", ""),
    ],
}


def forwards(apps, schema_editor):
    ClassificationCode = apps.get_model("complaints", "ClassificationCode")
    for dimension, codes in CODES.items():
        for position, (code, name, name_zh, maps_from) in enumerate(codes, start=1):
            ClassificationCode.objects.get_or_create(
                dimension=dimension,
                code=code,
                defaults={"name": name, "name_zh": name_zh, "maps_from": maps_from, "position": position},
            )


def backwards(apps, schema_editor):
    ClassificationCode = apps.get_model("complaints", "ClassificationCode")
    for dimension, codes in CODES.items():
        ClassificationCode.objects.filter(dimension=dimension, code__in=[c[0] for c in codes]).delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0017_regime_and_classification")]

    operations = [migrations.RunPython(forwards, backwards)]
