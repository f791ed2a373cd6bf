"""A starter set of shared canned replies in the six first-class languages.

Loaded by ``escalade manage loadmacros`` (and by the demo); it adds only the macros that are
missing, so an edited macro is never overwritten.
"""

from __future__ import annotations

from django.db import transaction

from escalade.core import clock
from escalade.workspace.models import Macro

# (name, language, kind, set_status, body)
MACROS: tuple[tuple[str, str, str, str, str], ...] = (
    ("We are on it", "en", "public", "",
     "Hello {customer},\n\nThank you for contacting us. We are looking into it now and will get "
     "back to you as soon as we know more.\n\nBest regards,\n{agent}"),
    ("Need more information", "en", "public", "pending",
     "Hello {customer},\n\nTo help you further, could you send us the order or invoice number "
     "and, if possible, a screenshot of what you see?\n\nBest regards,\n{agent}"),
    ("Passed to specialists", "en", "public", "",
     "Hello {customer},\n\nWe have passed your case ({ticket}) to our specialist team, who will "
     "contact you directly.\n\nBest regards,\n{agent}"),
    ("Solved", "en", "public", "solved",
     "Hello {customer},\n\nThe problem is solved. If anything is still not right, just reply "
     "to this message and we will reopen the case.\n\nBest regards,\n{agent}"),
    ("Vi ser på saken", "nb", "public", "",
     "Hei {customer},\n\nTakk for at du kontaktet oss. Vi ser på saken nå og kommer tilbake "
     "til deg så snart vi vet mer.\n\nVennlig hilsen\n{agent}"),
    ("Trenger mer informasjon", "nb", "public", "pending",
     "Hei {customer},\n\nFor å hjelpe deg videre: kan du sende oss ordre- eller fakturanummeret "
     "og gjerne et skjermbilde av det du ser?\n\nVennlig hilsen\n{agent}"),
    ("Sendt til spesialister", "nb", "public", "",
     "Hei {customer},\n\nVi har sendt saken din ({ticket}) videre til spesialistteamet vårt, "
     "som tar kontakt med deg direkte.\n\nVennlig hilsen\n{agent}"),
    ("Løst", "nb", "public", "solved",
     "Hei {customer},\n\nProblemet er løst. Hvis noe fortsatt ikke stemmer, svarer du bare på "
     "denne meldingen, så åpner vi saken igjen.\n\nVennlig hilsen\n{agent}"),
    ("İnceliyoruz", "tr", "public", "",
     "Merhaba {customer},\n\nBizimle iletişime geçtiğiniz için teşekkür ederiz. Talebinizi "
     "şu anda inceliyoruz ve en kısa sürede size dönüş yapacağız.\n\nSaygılarımızla,\n{agent}"),
    ("Ek bilgi gerekli", "tr", "public", "pending",
     "Merhaba {customer},\n\nSize daha iyi yardımcı olabilmemiz için sipariş veya fatura "
     "numaranızı ve mümkünse gördüğünüz ekranın bir görüntüsünü gönderebilir misiniz?"
     "\n\nSaygılarımızla,\n{agent}"),
    ("Uzman ekibe iletildi", "tr", "public", "",
     "Merhaba {customer},\n\nTalebinizi ({ticket}) uzman ekibimize ilettik; sizinle doğrudan "
     "iletişime geçecekler.\n\nSaygılarımızla,\n{agent}"),
    ("Çözüldü", "tr", "public", "solved",
     "Merhaba {customer},\n\nSorun çözüldü. Hâlâ bir sorun varsa bu mesajı yanıtlamanız "
     "yeterli, talebinizi yeniden açarız.\n\nSaygılarımızla,\n{agent}"),
    ("Stiamo verificando", "it", "public", "",
     "Gentile {customer},\n\ngrazie per averci contattato. Stiamo verificando e le "
     "risponderemo appena avremo novità.\n\nCordiali saluti,\n{agent}"),
    ("Servono più informazioni", "it", "public", "pending",
     "Gentile {customer},\n\nper aiutarla, potrebbe inviarci il numero dell'ordine o della "
     "fattura e, se possibile, uno screenshot di ciò che vede?\n\nCordiali saluti,\n{agent}"),
    ("Inoltrato agli specialisti", "it", "public", "",
     "Gentile {customer},\n\nabbiamo inoltrato la sua richiesta ({ticket}) al nostro team di "
     "specialisti, che la contatterà direttamente.\n\nCordiali saluti,\n{agent}"),
    ("Risolto", "it", "public", "solved",
     "Gentile {customer},\n\nil problema è stato risolto. Se qualcosa non funziona ancora, "
     "risponda a questo messaggio e riapriremo la richiesta.\n\nCordiali saluti,\n{agent}"),
    ("Sprawdzamy", "pl", "public", "",
     "Dzień dobry {customer},\n\ndziękujemy za kontakt. Sprawdzamy sprawę i odezwiemy się, "
     "gdy tylko będziemy wiedzieć więcej.\n\nZ poważaniem\n{agent}"),
    ("Potrzebujemy więcej informacji", "pl", "public", "pending",
     "Dzień dobry {customer},\n\naby pomóc, prosimy o numer zamówienia lub faktury oraz, "
     "jeśli to możliwe, zrzut ekranu.\n\nZ poważaniem\n{agent}"),
    ("Przekazano specjalistom", "pl", "public", "",
     "Dzień dobry {customer},\n\nprzekazaliśmy zgłoszenie ({ticket}) naszemu zespołowi "
     "specjalistów, który skontaktuje się bezpośrednio.\n\nZ poważaniem\n{agent}"),
    ("Rozwiązane", "pl", "public", "solved",
     "Dzień dobry {customer},\n\nproblem został rozwiązany. Jeśli coś nadal nie działa, "
     "wystarczy odpowiedzieć na tę wiadomość, a ponownie otworzymy zgłoszenie."
     "\n\nZ poważaniem\n{agent}"),
    ("正在处理", "zh-hans", "public", "",
     "{customer}，您好！\n\n感谢您联系我们。我们正在处理您的问题，一有进展会尽快回复您。\n\n此致\n{agent}"),
    ("需要更多信息", "zh-hans", "public", "pending",
     "{customer}，您好！\n\n为了更好地帮助您，请提供订单号或发票号，如有可能请附上页面截图。\n\n此致\n{agent}"),
    ("已转交专家团队", "zh-hans", "public", "",
     "{customer}，您好！\n\n您的工单（{ticket}）已转交给我们的专家团队，他们会直接与您联系。\n\n此致\n{agent}"),
    ("已解决", "zh-hans", "public", "solved",
     "{customer}，您好！\n\n问题已经解决。如果仍有任何问题，直接回复此消息即可，我们会重新打开工单。\n\n此致\n{agent}"),
    ("Escalation note", "", "internal", "",
     "Escalation check: customer tier, other open tickets and SLA clocks reviewed. Reason: "),
)  # fmt: skip


@transaction.atomic
def load_default_macros() -> int:
    """Add the missing starter macros (shared); returns how many were added."""
    added = 0
    now = clock.now()
    for name, language, kind, set_status, body in MACROS:
        _macro, created = Macro.objects.get_or_create(
            owner=None,
            name=name,
            language=language,
            defaults={"kind": kind, "set_status": set_status, "body": body, "updated_at": now},
        )
        added += created
    return added
