"""The name tables behind the Shaoguan demo hierarchy (oa/demo.py): places, units, titles, people's names.

Pure data in compact whitespace-separated form, kept apart so oa/demo.py holds only the logic.
"""

from __future__ import annotations

# Counties/districts: id prefix, bare name, kind, 机关代字 abbreviation, county-direct unit count.
COUNTIES = """
zj 浈江 区 浈 108   wj 武江 区 武 106   qj 曲江 区 曲 110   sx 始兴 县 始 108   rh 仁化 县 仁 110
wy 翁源 县 翁 108   xf 新丰 县 新 104   ry 乳源 瑶族自治县 乳 110   lc 乐昌 市 乐 114   nx 南雄 市 雄 112
"""

# Towns per county (first listed = county seat); 名称/pinyin id.
TOWNS = """
zj 东河街道/donghe 车站街道/chezhan 风采街道/fengcai 新韶镇/xinshao 乐园镇/leyuan 十里亭镇/shiliting
zj 犁市镇/lishi 花坪镇/huaping
wj 西河街道/xihe 惠民街道/huimin 新华街道/xinhua 龙归镇/longgui 江湾镇/jiangwan 重阳镇/chongyang 西联镇/xilian
qj 马坝镇/maba 大塘镇/datang 枫湾镇/fengwan 小坑镇/xiaokeng 沙溪镇/shaxi 乌石镇/wushi 樟市镇/zhangshi
qj 白土镇/baitu 罗坑镇/luokeng 松山街道/songshan
sx 太平镇/taiping 马市镇/mashi 澄江镇/chengjiang 顿岗镇/dungang 罗坝镇/luoba 司前镇/siqian 隘子镇/aizi
sx 城南镇/chengnan 沈所镇/shensuo 深渡水瑶族乡/shendushui
rh 丹霞街道/danxia 周田镇/zhoutian 黄坑镇/huangkeng 扶溪镇/fuxi 长江镇/changjiang 城口镇/chengkou 红山镇/hongshan
rh 石塘镇/shitang 董塘镇/dongtang 大桥镇/daqiao 闻韶镇/wenshao
wy 龙仙镇/longxian 坝仔镇/bazai 江尾镇/jiangwei 官渡镇/guandu 周陂镇/zhoubei 翁城镇/wengcheng 新江镇/xinjiang
wy 铁龙镇/tielong
xf 丰城街道/fengcheng 黄磜镇/huangqi 梅坑镇/meikeng 马头镇/matou 遥田镇/yaotian 回龙镇/huilong 沙田镇/shatian
ry 乳城镇/rucheng 一六镇/yiliu 桂头镇/guitou 洛阳镇/luoyang 大布镇/dabu 大桥镇/daqiao 东坪镇/dongping
ry 游溪镇/youxi 必背镇/bibei
lc 乐城街道/lecheng 北乡镇/beixiang 九峰镇/jiufeng 廊田镇/langtian 长来镇/changlai 梅花镇/meihua 三溪镇/sanxi
lc 坪石镇/pingshi 黄圃镇/huangpu 五山镇/wushan 两江镇/liangjiang 沙坪镇/shaping 云岩镇/yunyan 秀水镇/xiushui
lc 大源镇/dayuan 庆云镇/qingyun 白石镇/baishi
nx 雄州街道/xiongzhou 乌迳镇/wujing 界址镇/jiezhi 坪田镇/pingtian 黄坑镇/huangkeng 邓坊镇/dengfang 油山镇/youshan
nx 南亩镇/nanmu 水口镇/shuikou 江头镇/jiangtou 湖口镇/hukou 珠玑镇/zhuji 主田镇/zhutian 古市镇/gushi
nx 全安镇/quanan 百顺镇/baishun 澜河镇/lanhe 帽子峰镇/maozifeng
"""
# 瑶族 towns: the real 深渡水瑶族乡 and 乳源's mountain 瑶族 towns.
ETHNIC_TOWNS = frozenset({"深渡水瑶族乡", "必背镇", "游溪镇", "东坪镇"})

# Unit tables: id slug/名称/代字 suffix/简称 suffix. A name with {P} (place, e.g. 韶关市, 始兴县)
# or {B} (bare place name, e.g. 韶关) is a template; otherwise the place is prefixed.
# Code "-" = issues no documents. Marker: * city only, + county only, ? city + optional in a
# county, ~ optional in a county only; unmarked = every place.
PARTY_SIDE = {  # under the 党委 (市委/县委)
    "部门": """
zuzhi/中共{P}委组织部/组/委组织部 xuanchuan/中共{P}委宣传部/宣/委宣传部 tongzhan/中共{P}委统战部/统/委统战部
zhengyan/中共{P}委政策研究室/委研/委政研室 bianban/中共{P}委机构编制委员会办公室/编/委编办
xuncha/中共{P}委巡察工作领导小组办公室/巡/委巡察办 jiguangongwei/中共{P}直属机关工作委员会/直工/直机关工委
wangxin/中共{P}委网络安全和信息化委员会办公室/网信/委网信办 laoganbu/中共{P}委老干部局/老干/委老干部局
?jiyao/中共{P}委机要保密局/机保/委机要局""",
    "党委": "jiwei/中共{P}纪律检查委员会/纪/纪委监委 zhengfa/中共{P}委政法委员会/政法/委政法委",
    "事业单位": "dangxiao/中共{P}委党校/党校/委党校 ?dangshi/中共{P}委党史研究室/党史/委党史研究室",
    "人大": "renda/{P}人民代表大会常务委员会/人常/人大常委会",
    "政协": "zhengxie/中国人民政治协商会议{P}委员会/政协/政协",
    "法院": "*fayuan/{P}中级人民法院/中法/中级法院 +fayuan/{P}人民法院/法/法院",
    "检察院": "jianchayuan/{P}人民检察院/检/检察院",
    "群团": """
zonggonghui/总工会/工/总工会 tuanwei/共青团{P}委员会/团/团委 fulian/妇女联合会/妇/妇联 kexie/科学技术协会/科协/科协
wenlian/文学艺术界联合会/文联/文联 ?qiaolian/归国华侨联合会/侨联/侨联 gongshanglian/工商业联合会/工商联/工商联
*shekelian/社会科学界联合会/社科联/社科联 canlian/残疾人联合会/残联/残联 ?hongshizi/红十字会/红会/红十字会""",
}
GOV_SIDE = {  # under the 人民政府
    "部门": """
fagai/发展和改革局/发改/发改局 jiaoyu/教育局/教/教育局 ?keji/科学技术局/科/科技局 gongxin/工业和信息化局/工信/工信局
?minzong/民族宗教事务局/民宗/民宗局 gongan/公安局/公/公安局 minzheng/民政局/民/民政局 sifa/司法局/司/司法局
caizheng/财政局/财/财政局 renshe/人力资源和社会保障局/人社/人社局 ziran/自然资源局/自然资/自然资源局
*huanjing/生态环境局/环/生态环境局 zhujian/住房和城乡建设局/建/住建局 jiaotong/交通运输局/交/交通运输局
shuiwu/水务局/水/水务局 nongye/农业农村局/农/农业农村局 ?shangwu/商务局/商/商务局
wenguang/文化广电旅游体育局/文广旅体/文广旅体局 weijian/卫生健康局/卫健/卫健局 tuiyi/退役军人事务局/退役/退役军人局
yingji/应急管理局/应急/应急管理局 shenji/审计局/审/审计局 *guozi/国有资产监督管理委员会/国资/国资委
shijian/市场监督管理局/市监/市场监管局 tongji/统计局/统计/统计局 yibao/医疗保障局/医保/医保局
?linye/林业局/林/林业局 chengguan/城市管理和综合执法局/城管/城管执法局 xinfang/信访局/信访/信访局
shuju/政务服务数据管理局/政数/政数局 ?renfang/人民防空办公室/人防/人防办 ?jiguan/机关事务管理局/机管/机关事务局
*touzi/投资促进局/投促/投促局 *waishi/外事局/外/外事局 *jinrong/金融工作局/金融/金融局""",
    # 参照公务员法管理 and directly affiliated bodies: listed among the city's departments.
    "部门/参公": """
?difangzhi/地方志办公室/志/地方志办 jiaoyi/公共资源交易中心/交易/交易中心
*gongjijin/住房公积金管理中心/公积金/公积金中心 budongchan/不动产登记中心/不动产/不动产登记中心
shebao/社会保险基金管理局/社保/社保局 zhengwu/政务服务中心/政务/政务中心
tuiyifw/退役军人服务中心/退服/退役军人服务中心 ?jiaozhi/交通运输综合行政执法大队/交执/交通执法大队
?nongzhi/农业综合行政执法大队/农执/农业执法大队 ?wenzhi/文化市场综合行政执法大队/文执/文化执法大队
gongxiao/供销合作联社/供销/供销社 ?yuanqu/产业园管理委员会/园区/产业园管委会 *daijian/代建项目管理局/代建/代建局
*gaoxin/高新技术产业开发区管理委员会/高新/高新区管委会 ?xiangcun/乡村振兴局/乡振/乡村振兴局
?liangchu/粮食和物资储备局/粮储/粮储局 *dizhen/地震局/震/地震局""",
    "事业单位": """
danganguan/档案馆/档/档案馆 rongmeiti/融媒体中心/融媒/融媒体中心 jikong/疾病预防控制中心/疾控/疾控中心
*yiyuan/第一人民医院/一医/一医院 +yiyuan/人民医院/人医/人民医院 zhongyiyuan/中医院/中医/中医院
fuyou/妇幼保健院/妇幼/妇幼保健院 ?jiuye/就业服务中心/就业/就业中心 tushuguan/图书馆/图/图书馆
?bowuguan/博物馆/博/博物馆 wenhuaguan/文化馆/文化馆/文化馆 *tixiao/体育运动学校/体校/体校 yizhong/第一中学/一中/一中
?zhixiao/职业技术学校/职校/职校 ?fuliyuan/社会福利院/-/福利院 ?jiuzhu/救助管理站/-/救助站 ?binyiguan/殡仪馆/-/殡仪馆
gonglu/公路事务中心/公路/公路中心 nongji/农业技术推广中心/农技/农技中心 ?dongfang/动物疫病预防控制中心/动防/动防中心
*linkesuo/林业科学研究所/林科/林科所 *nongkesuo/农业科学研究所/农科/农科所 *huanjiance/环境监测站/环测/环境监测站
*guihuayuan/城市规划设计院/规划院/规划院 ?tuchu/土地储备中心/土储/土储中心 ?yuanlin/园林绿化中心/园林/园林中心
rexian/12345政务服务热线中心/热线/热线中心 ?xinxi/信息中心/信息/信息中心 ?jiage/价格认证中心/价认/价认中心
*jijiu/急救指挥中心/急救/急救中心 *xuezhan/中心血站/血站/血站 ?kaida/开放大学/开大/开放大学
?laonian/老年大学/老年/老年大学 ?falv/法律援助处/法援/法援处 gongzheng/公证处/公证/公证处
?rencai/人才发展服务中心/人才/人才中心 ?shuiguan/水利工程管理中心/水管/水管中心 ~linchang/国有林场/林场/林场
~weijiansuo/卫生监督所/卫监/卫生监督所 ~jiaofa/教师发展中心/教发/教师发展中心 ~shixiao/实验小学/实小/实验小学
~shuiku/水库管理处/库管/水库管理处 ~nongjing/农村经营管理站/农经/农经站 ~chengzhi/城乡建设服务中心/城建/城建中心
~xiangzhen/乡镇财政结算中心/镇财/结算中心""",
    # Vertically managed (垂直管理): report up their own line; the county unit's line is the city unit of the same id.
    "部门/垂直": """
guoshui/国家税务总局{P}税务局/税/税务局 *xiaofang/{P}消防救援支队/消/消防支队 +xiaofang/{P}消防救援大队/消/消防大队
diaocha/国家统计局{B}调查队/调/调查队 qixiang/{P}气象局/气/气象局 yancao/{P}烟草专卖局/烟/烟草专卖局
*jinjian/国家金融监督管理总局{B}监管分局/金监/金融监管分局
~jinjian/国家金融监督管理总局{B}监管支局/金监/金融监管支局 *renhang/中国人民银行{B}市分行/人行/人民银行
*youzheng/{P}邮政管理局/邮管/邮政管理局 *shuiwen/广东省{B}水文分局/水文/水文分局
+huanjing/韶关市生态环境局{B}分局/环/生态环境分局""",
}


def words(text: str) -> list[str]:
    """Compact tables: entries separated by any whitespace."""
    return text.split()


# Head titles by the end of a unit's name (longest match wins); deputy is 副 + head unless given.
HEADS = dict((rule.split(":")[0], tuple(rule.split(":")[1:])) for rule in words("""
检察院:检察长 法院:院长 党校:常务副校长:副校长 调查队:队长 支队:支队长 大队:大队长 部:部长 局:局长 委员会:主任
纪律检查委员会:书记:副书记 政法委员会:书记:副书记 工作委员会:书记:副书记 办公室:主任 研究室:主任 中心:主任 馆:馆长
医院:院长 保健院:院长 设计院:院长 学校:校长 中学:校长 小学:校长 大学:校长 研究所:所长 监督所:所长 站:站长 处:主任
联社:主任 林场:场长 分行:行长 工会:主席 联合会:主席 协会:主席 红十字会:会长"""))

SURNAMES = list("李王张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任沈"
                 "姚卢钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛雷黎史龙陶贺顾毛龚邵万严覃戴莫孔汤温赖巫官古")
# Given-name characters by the name's usual gender, so two-character names read naturally.
GIVEN_CHARS = (list("伟强磊军洋勇杰涛明超刚建文辉力斌志海鹏飞俊峰宇浩凯鑫晨宏国荣东新彬锋健振永德光亮成学"
                    "坤昌庆添锦铭泽伦耀达汉"),
               list("芳娜敏静丽艳娟秀霞桂英华玉兰萍红晓云林婷雪琳颖倩欣慧嘉佳思雅子梓春燕瑶韵冬梅琼"))
MOBILE_PREFIXES = words("130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 180 182 186 189 199")
