"""The demo company's help centre: categories and articles in the six languages.

Loaded by ``escalade.demo`` through the knowledge services (sanitised, indexed); running it
again adds only what is missing.
"""

from __future__ import annotations

from escalade.core.actors import SYSTEM, Actor
from escalade.knowledge import services
from escalade.knowledge.models import Article, ArticleTranslation, Category

CATEGORIES = (
    ("billing", {
        "en": "Billing and invoices", "nb": "Faktura og betaling", "tr": "Fatura ve ödeme",
        "it": "Fatturazione e pagamenti", "pl": "Faktury i płatności", "zh-hans": "账单与发票",
    }),
    ("login", {
        "en": "Account and sign-in", "nb": "Konto og innlogging", "tr": "Hesap ve giriş",
        "it": "Account e accesso", "pl": "Konto i logowanie", "zh-hans": "账户与登录",
    }),
    ("technical", {
        "en": "Technical problems", "nb": "Tekniske problemer", "tr": "Teknik sorunlar",
        "it": "Problemi tecnici", "pl": "Problemy techniczne", "zh-hans": "技术问题",
    }),
    ("shipping", {
        "en": "Orders and delivery", "nb": "Bestilling og levering", "tr": "Sipariş ve teslimat",
        "it": "Ordini e consegne", "pl": "Zamówienia i dostawa", "zh-hans": "订单与配送",
    }),
)  # fmt: skip

PUBLIC, INTERNAL = Article.Visibility.PUBLIC, Article.Visibility.INTERNAL
PUBLISHED, DRAFT = ArticleTranslation.Status.PUBLISHED, ArticleTranslation.Status.DRAFT

# (slug, category, visibility, status, {language: (title, text)})
ARTICLES = (
    ("download-invoices", "billing", PUBLIC, PUBLISHED, {
        "en": ("How to download your invoices",
               "Sign in to your account and open Billing → Invoices. Every invoice of the last "
               "seven years is listed there; choose Download PDF next to the one you need.\n\n"
               "If the download does not start, allow pop-ups for our site or try another "
               "browser. Invoices are issued on the first working day of each month."),
        "nb": ("Slik laster du ned fakturaene dine",
               "Logg inn på kontoen din og åpne Fakturering → Fakturaer. Alle fakturaer fra de "
               "siste sju årene står der; velg Last ned PDF ved siden av den du trenger.\n\n"
               "Hvis nedlastingen ikke starter, tillat popup-vinduer for nettstedet vårt eller "
               "prøv en annen nettleser. Fakturaer utstedes første virkedag i hver måned."),
        "tr": ("Faturalarınızı nasıl indirirsiniz",
               "Hesabınıza giriş yapın ve Faturalandırma → Faturalar bölümünü açın. Son yedi "
               "yılın tüm faturaları burada listelenir; ihtiyacınız olanın yanındaki PDF indir "
               "düğmesini seçin.\n\nİndirme başlamazsa sitemiz için açılır pencerelere izin "
               "verin veya başka bir tarayıcı deneyin. Faturalar her ayın ilk iş günü kesilir."),
        "it": ("Come scaricare le fatture",
               "Accedi al tuo account e apri Fatturazione → Fatture. Lì trovi tutte le fatture "
               "degli ultimi sette anni; scegli Scarica PDF accanto a quella che ti serve.\n\n"
               "Se il download non parte, consenti i pop-up per il nostro sito o prova un altro "
               "browser. Le fatture vengono emesse il primo giorno lavorativo di ogni mese."),
        "pl": ("Jak pobrać faktury",
               "Zaloguj się na swoje konto i otwórz Rozliczenia → Faktury. Znajdziesz tam "
               "wszystkie faktury z ostatnich siedmiu lat; wybierz Pobierz PDF obok tej, której "
               "potrzebujesz.\n\nJeśli pobieranie się nie rozpoczyna, zezwól na wyskakujące "
               "okna dla naszej strony lub spróbuj innej przeglądarki. Faktury wystawiamy "
               "pierwszego dnia roboczego każdego miesiąca."),
        "zh-hans": ("如何下载发票",
                    "登录您的账户，打开“账单 → 发票”。这里列出了最近七年的所有发票；在需要的发票"
                    "旁边选择“下载 PDF”。\n\n如果下载没有开始，请允许我们的网站弹出窗口，或换一个"
                    "浏览器试试。发票在每月的第一个工作日开具。"),
    }),
    ("charged-twice", "billing", PUBLIC, PUBLISHED, {
        "en": ("I was charged twice",
               "A double charge is usually a card authorisation that has not been released yet: "
               "it disappears by itself within 3–5 working days.\n\nIf both charges are still on "
               "your statement after five working days, contact us with the dates and amounts "
               "and we will refund the duplicate within 48 hours."),
        "nb": ("Jeg ble belastet to ganger",
               "En dobbel belastning er som regel en reservasjon på kortet som ikke er frigitt "
               "ennå: den forsvinner av seg selv innen 3–5 virkedager.\n\nStår begge trekkene "
               "fortsatt på kontoutskriften etter fem virkedager, kontakt oss med datoer og "
               "beløp, så refunderer vi det doble trekket innen 48 timer."),
        "tr": ("İki kez ücret alındı",
               "Çift çekim genellikle henüz serbest bırakılmamış bir kart provizyonudur: 3–5 iş "
               "günü içinde kendiliğinden kaybolur.\n\nBeş iş gününden sonra iki çekim de hesap "
               "özetinizde duruyorsa tarih ve tutarlarla bize yazın; fazla çekimi 48 saat "
               "içinde iade ederiz."),
        "it": ("Mi è stato addebitato due volte",
               "Un doppio addebito di solito è una preautorizzazione della carta non ancora "
               "rilasciata: scompare da sola entro 3–5 giorni lavorativi.\n\nSe dopo cinque "
               "giorni lavorativi vedi ancora entrambi gli addebiti sull'estratto conto, "
               "contattaci con date e importi e rimborseremo il duplicato entro 48 ore."),
        "pl": ("Obciążono mnie dwa razy",
               "Podwójne obciążenie to zwykle blokada autoryzacyjna na karcie, która nie została "
               "jeszcze zwolniona: znika sama w ciągu 3–5 dni roboczych.\n\nJeśli po pięciu "
               "dniach roboczych oba obciążenia nadal widnieją na wyciągu, napisz do nas z "
               "datami i kwotami, a zwrócimy podwójną kwotę w ciągu 48 godzin."),
        "zh-hans": ("重复扣款怎么办",
                    "重复扣款通常是银行卡的预授权尚未释放：一般会在 3–5 个工作日内自动消失。\n\n"
                    "如果五个工作日后对账单上仍有两笔扣款，请把日期和金额发给我们，我们会在 48 "
                    "小时内退还重复的款项。"),
    }),
    ("reset-password", "login", PUBLIC, PUBLISHED, {
        "en": ("I cannot sign in: reset your password",
               "Choose Forgot password on the sign-in page and enter your email address; you "
               "will get a reset link valid for one hour. Check your spam folder if nothing "
               "arrives.\n\nAfter five wrong attempts your account is locked for 15 minutes."),
        "nb": ("Jeg får ikke logget inn: tilbakestill passordet",
               "Velg Glemt passord på innloggingssiden og skriv inn e-postadressen din; du får "
               "en lenke for å tilbakestille passordet som varer i én time. Sjekk søppelposten "
               "hvis ingenting kommer.\n\nEtter fem feil forsøk låses kontoen i 15 minutter."),
        "tr": ("Giriş yapamıyorum: şifrenizi sıfırlayın",
               "Giriş sayfasında Şifremi unuttum'u seçin ve e-posta adresinizi girin; bir saat "
               "geçerli bir sıfırlama bağlantısı alırsınız. Bir şey gelmezse gereksiz "
               "klasörünüzü kontrol edin.\n\nBeş hatalı denemeden sonra hesabınız 15 dakika "
               "kilitlenir."),
        "it": ("Non riesco ad accedere: reimposta la password",
               "Scegli Password dimenticata nella pagina di accesso e inserisci il tuo indirizzo "
               "email; riceverai un link di reimpostazione valido per un'ora. Se non arriva "
               "nulla, controlla la cartella spam.\n\nDopo cinque tentativi errati l'account "
               "viene bloccato per 15 minuti."),
        "pl": ("Nie mogę się zalogować: zresetuj hasło",
               "Wybierz Nie pamiętam hasła na stronie logowania i podaj swój adres e-mail; "
               "otrzymasz link do zresetowania hasła ważny przez godzinę. Jeśli nic nie "
               "przyszło, sprawdź folder spam.\n\nPo pięciu błędnych próbach konto jest "
               "blokowane na 15 minut."),
        "zh-hans": ("无法登录：重置密码",
                    "在登录页面选择“忘记密码”，输入您的电子邮箱；您会收到一个一小时内有效的重置"
                    "链接。如果没有收到，请检查垃圾邮件文件夹。\n\n连续输错五次后，账户会被锁定 "
                    "15 分钟。"),
    }),
    ("two-step-verification", "login", PUBLIC, PUBLISHED, {
        "en": ("Turn on two-step verification",
               "Open Account → Security and choose Turn on two-step verification. Scan the QR "
               "code with an authenticator app and type the six-digit code it shows.\n\nKeep the "
               "backup codes somewhere safe: they let you in if you lose your phone."),
        "nb": ("Slå på totrinnsbekreftelse",
               "Åpne Konto → Sikkerhet og velg Slå på totrinnsbekreftelse. Skann QR-koden med "
               "en autentiseringsapp og skriv inn den sekssifrede koden den viser.\n\nTa vare "
               "på reservekodene: med dem kommer du inn hvis du mister telefonen."),
        "tr": ("İki adımlı doğrulamayı açın",
               "Hesap → Güvenlik bölümünü açın ve İki adımlı doğrulamayı aç seçeneğini seçin. QR "
               "kodunu bir doğrulama uygulamasıyla tarayın ve gösterdiği altı haneli kodu "
               "yazın.\n\nYedek kodları güvenli bir yerde saklayın: telefonunuzu kaybederseniz "
               "onlarla giriş yapabilirsiniz."),
        "it": ("Attiva la verifica in due passaggi",
               "Apri Account → Sicurezza e scegli Attiva la verifica in due passaggi. Scansiona "
               "il codice QR con un'app di autenticazione e digita il codice a sei cifre che "
               "mostra.\n\nConserva i codici di riserva in un posto sicuro: ti permettono di "
               "accedere se perdi il telefono."),
        "pl": ("Włącz weryfikację dwuetapową",
               "Otwórz Konto → Bezpieczeństwo i wybierz Włącz weryfikację dwuetapową. Zeskanuj "
               "kod QR aplikacją uwierzytelniającą i wpisz wyświetlony sześciocyfrowy kod.\n\n"
               "Przechowuj kody zapasowe w bezpiecznym miejscu: pozwolą ci się zalogować, jeśli "
               "zgubisz telefon."),
        "zh-hans": ("开启两步验证",
                    "打开“账户 → 安全”，选择“开启两步验证”。用身份验证器应用扫描二维码，并输入它"
                    "显示的六位数字验证码。\n\n请妥善保存备用码：手机丢失时可以用它们登录。"),
    }),
    ("where-is-my-order", "shipping", PUBLIC, PUBLISHED, {
        "en": ("Where is my order?",
               "Every shipped order has a tracking link in the dispatch email and under Orders "
               "in your account. Deliveries within Europe take 2–4 working days.\n\nIf tracking "
               "has not moved for five working days, contact us with your order number."),
        "nb": ("Hvor er bestillingen min?",
               "Alle sendte bestillinger har en sporingslenke i e-posten om utsending og under "
               "Bestillinger på kontoen din. Leveranser i Europa tar 2–4 virkedager.\n\nHar "
               "sporingen stått stille i fem virkedager, kontakt oss med ordrenummeret."),
        "tr": ("Siparişim nerede?",
               "Gönderilen her siparişin kargo takip bağlantısı, gönderim e-postasında ve "
               "hesabınızdaki Siparişler bölümünde bulunur. Avrupa içi teslimatlar 2–4 iş günü "
               "sürer.\n\nTakip bilgisi beş iş günü boyunca değişmediyse sipariş numaranızla "
               "bize yazın."),
        "it": ("Dov'è il mio ordine?",
               "Ogni ordine spedito ha un link di tracciamento nell'email di spedizione e nella "
               "sezione Ordini del tuo account. Le consegne in Europa richiedono 2–4 giorni "
               "lavorativi.\n\nSe il tracciamento è fermo da cinque giorni lavorativi, "
               "contattaci con il numero d'ordine."),
        "pl": ("Gdzie jest moje zamówienie?",
               "Każde wysłane zamówienie ma link do śledzenia przesyłki w e-mailu o wysyłce oraz "
               "w zakładce Zamówienia na twoim koncie. Dostawy w Europie trwają 2–4 dni "
               "robocze.\n\nJeśli status przesyłki nie zmienił się od pięciu dni roboczych, "
               "napisz do nas z numerem zamówienia."),
        "zh-hans": ("我的订单在哪里？",
                    "每个已发货的订单都会在发货邮件和账户的“订单”页面中提供物流跟踪链接。欧洲境内"
                    "配送需要 2–4 个工作日。\n\n如果物流信息五个工作日没有更新，请带上订单号联系"
                    "我们。"),
    }),
    ("refund-approval-limits", "billing", INTERNAL, PUBLISHED, {
        "en": ("Refund approval limits (internal)",
               "Front-line agents may refund up to 2,000 NOK / 200 EUR on their own. Up to "
               "10,000 NOK needs a Billing L1 agent; anything above goes to Billing L2 with the "
               "supervisor's approval.\n\nAlways note the payment reference in an internal "
               "note."),
        "nb": ("Grenser for godkjenning av refusjon (internt)",
               "Førstelinjen kan refundere inntil 2 000 kr / 200 EUR selv. Inntil 10 000 kr "
               "krever en agent i Billing L1; alt over går til Billing L2 med godkjenning fra "
               "leder.\n\nSkriv alltid betalingsreferansen i et internt notat."),
    }),
    ("service-status", "technical", PUBLIC, DRAFT, {
        "en": ("Service status and planned maintenance",
               "Planned maintenance is announced here a week ahead. During maintenance the "
               "invoice download may be unavailable for up to 30 minutes."),
    }),
)  # fmt: skip


def load_articles(actor: Actor = SYSTEM) -> int:
    """Create the demo categories and articles that do not exist yet; returns how many
    articles were added."""
    for position, (slug, names) in enumerate(CATEGORIES):
        if not Category.objects.filter(slug=slug).exists():
            services.save_category(
                actor, slug=slug, name=names["en"], names=names, position=position
            )
    added = 0
    for slug, category, visibility, status, texts in ARTICLES:
        if Article.objects.filter(slug=slug).exists():
            continue
        article = services.save_article(actor, slug=slug, category=category, visibility=visibility)
        for language, (title, text) in texts.items():
            services.save_translation(
                actor, article.pk, language, title=title, body_text=text, status=status
            )
        added += 1
    return added
