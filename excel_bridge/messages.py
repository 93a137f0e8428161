"""The one catalogue of Chinese text users see: issue messages with fix hints, and interface labels.

Every issue code has one message template and one hint, kept side by side so the wording can be
reviewed without touching logic. Templates use ``str.format`` fields: {sheet} {row} {column}
{value} and whatever the raising check passes (named in each entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Entry:
    severity: Severity
    text: str
    hint: str


E: Severity = "error"
W: Severity = "warning"

CATALOGUE: dict[str, Entry] = {
    # --- whole file (the file cannot be used at all; exit code 2) ---
    "FILE_EMPTY": Entry(E, "文件是空的（0 字节），可能没有保存完整或复制时中断。",
                        "请在 Excel/WPS 中打开原文件，确认内容无误并保存后，重新放入文件夹。"),
    "FILE_CORRUPT": Entry(E, "文件已损坏，或者不是 Excel/WPS 表格文件，无法读取（{detail}）。",
                          "请用 Excel 或 WPS 打开原文件，点“另存为”保存成 .xlsx 格式后重新提交。"),
    "FILE_NOT_FOUND": Entry(E, "找不到文件“{value}”。",
                            "请确认文件名和所在文件夹是否正确。"),
    "FILE_IS_FOLDER": Entry(E, "“{value}”是一个文件夹，不是台账文件。",
                            "请写出其中一个台账文件，例如 excel-bridge check {example}（一次校验一个文件）。"),
    "FILE_IS_WORKSPACE": Entry(E, "“{value}”是区级工作目录，不是台账文件。",
                               "要处理各镇收件箱里的台账，请用 excel-bridge process {value}；"
                               "只校验一个文件时，请写出那个文件，例如 excel-bridge check 某村.xlsx。"),
    "FILE_PASSWORD": Entry(E, "文件设置了打开密码，系统无法读取。",
                           "请在 Excel/WPS 中取消打开密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新提交。"),
    "FILE_FORMAT": Entry(E, "不支持“{value}”类型的文件，只能读取 .xlsx、.xlsm、.xls、.xlsb、.ods 表格。",
                         "请用 Excel 或 WPS 把文件另存为 .xlsx 格式后重新提交。"),
    "FILE_TOO_LARGE": Entry(E, "文件太大（{value}），超过了 {limit} 的上限。",
                            "请删除与台账无关的工作表、图片和大片空白格式，只保留台账内容后重新提交。"),
    "FILE_TOO_MANY_CELLS": Entry(E, "“{sheet}”表的数据区域过大（{value} 行 × {limit} 列），不像一份村级台账。",
                                 "请检查表格最下方或最右侧是否有误填的内容或格式，删除多余的行和列后重新提交。"),
    "FILE_OTHER_DISTRICT": Entry(E, "这份台账是{value}的（模板隐藏的“系统信息”表这样记载），不是{district}的，不能按{district}的镇村名单校验。",
                                 "校验{value}的台账，请在{value}的工作目录中运行，或加 --workspace 指向它；"
                                 "如果本村确属{district}，请使用{district}下发的模板重新填写。"),
    "FILE_NOT_MONITORING": Entry(E, "文件中没有找到“户信息”“家庭成员”“帮扶措施”“评议公示”中的任何一张表，不是村级监测台账。",
                                 "请使用区里下发的《村级监测台账》模板填写，不要改动工作表名称和表头。"),
    "FILE_READ_LIMIT": Entry(E, "读取文件时超出了时间或内存限制，文件结构异常。",
                             "请用 Excel 或 WPS 打开原文件，复制台账内容到新的模板中保存后重新提交。"),
    # --- sheets and columns ---
    "SHEET_MISSING": Entry(E, "缺少“{sheet}”工作表。",
                           "请使用模板中的“{sheet}”表填写，不要删除或改名。"),
    "HEADER_NOT_FOUND": Entry(E, "“{sheet}”表中没有找到表头行（应包含“{value}”等列名）。",
                              "请保留模板的表头行，不要删除或改动列名。"),
    "COLUMN_MISSING": Entry(E, "“{sheet}”表缺少必填列“{column}”。",
                            "请在表头中加上“{column}”列（可从模板复制），并逐户填写。"),
    "COLUMN_UNKNOWN": Entry(W, "“{value}”不是模板中的列，本列内容不会被读取。",
                            "如果这是模板某一列改过的名字，请改回模板列名；否则可以忽略本提示。"),
    "COLUMN_DUPLICATE": Entry(E, "“{column}”列出现了不止一次，系统只读取第一列。",
                              "请删除重复的“{column}”列，只保留一列。"),
    # --- single cells ---
    "REQUIRED": Entry(E, "“{column}”是必填项，不能为空。",
                      "请填写“{column}”。"),
    "NOT_ALLOWED": Entry(E, "“{value}”不是“{column}”的可选值。",
                         "请从下拉列表中选择：{allowed}。"),
    "HEALTH_EXCLUSIVE": Entry(E, "“健康”不能和其他健康状况同时填写（填的是“{value}”）。",
                              "身体健康只填“健康”；有疾病或残疾时不要再填“健康”，多项用顿号“、”隔开。"),
    "NOT_INTEGER": Entry(E, "“{column}”应填整数，填的是“{value}”。",
                         "请只填阿拉伯数字，不带单位和小数，例如 4。"),
    "NOT_NUMBER": Entry(E, "“{column}”应填金额数字，填的是“{value}”。",
                        "请只填数字（单位：元），不要带“元”“万”等文字，例如 12000 或 12000.50。"),
    "NEGATIVE": Entry(E, "“{column}”不能是负数，填的是“{value}”。",
                      "请填写 0 或正数；没有这项收支时填 0。"),
    "OUT_OF_RANGE": Entry(E, "“{column}”应在 {low} 到 {high} 之间，填的是“{value}”。",
                          "请检查后填写 {low} 到 {high} 之间的数。"),
    "NOT_DATE": Entry(E, "“{column}”不是有效日期，填的是“{value}”。",
                      "请按“2021-08-11”的格式填写日期。"),
    "NOT_YEAR": Entry(E, "“{column}”应是四位年份，填的是“{value}”。",
                      "请填写收入所属年份，例如 2021。"),
    "ID_AS_NUMBER": Entry(E, "身份证号被存成了数字，Excel 只保留 15 位有效数字，后几位已经丢失（显示为“{value}”）。",
                          "请把该列设为文本格式（右键→设置单元格格式→文本）后重新填写完整的 18 位身份证号，不要由系统猜测补全。"),
    "ID_FORMAT": Entry(E, "身份证号“{value}”格式不对：应为 18 位，前 17 位是数字，最后一位是数字或 X。",
                       "请核对户口本或身份证，重新填写 18 位身份证号。"),
    "ID_BIRTH": Entry(E, "身份证号“{value}”中的出生日期（第 7-14 位）不是有效日期。",
                      "请核对身份证号第 7-14 位出生年月日。"),
    "ID_CHECKSUM": Entry(E, "身份证号“{value}”的最后一位校验码不对，号码中有数字填错了。",
                         "请对照身份证逐位核对；校验码应为“{expected}”。"),
    "PHONE_FORMAT": Entry(W, "“{column}”“{value}”不像有效的电话号码。",
                          "手机号填 11 位数字；座机填“区号-号码”，例如 0751-6669428。"),
    "TOWN_UNKNOWN": Entry(E, "“{value}”不是本区登记的镇。",
                          "请从下拉列表选择镇名：{allowed}。"),
    "TOWN_FOLDER": Entry(E, "镇名“{value}”与文件所在的“{expected}”文件夹不一致。",
                         "请确认是否放错了文件夹；如果镇名填错了，请改为“{expected}”。"),
    "VILLAGE_UNKNOWN": Entry(E, "“{value}”不在{town}登记的村名单中，本户没有入账。",
                             "{closest}请从下拉列表选择村名（{town}登记的村：{allowed}）；确属新设的村，请联系区乡村振兴局在区级设置中登记。"),
    # --- links and duplicates across sheets ---
    "DUPLICATE_HOUSEHOLD": Entry(E, "户主身份证号“{value}”在“户信息”中重复出现（第 {other_row} 行也有）。",
                                 "每户只填一行，请删除或合并重复的行。"),
    "DUPLICATE_HOUSEHOLD_NO": Entry(E, "户编号“{value}”在“户信息”中重复出现（第 {other_row} 行也有）。",
                                    "每户的户编号不同，请核对。"),
    "DUPLICATE_PERSON": Entry(E, "身份证号“{value}”在“家庭成员”中重复出现（第 {other_row} 行也有）。",
                              "同一个人只能登记一次，请删除重复的行。"),
    "PERSON_OTHER_VILLAGE": Entry(E, "身份证号“{value}”同时登记在本区另一个村的台账中。",
                                  "同一个人只能在一个村登记。请联系镇里核实此人实际所在的户（镇里和区里能看到另一处登记在哪个村），在多登记的一方删除。"),
    "MEMBER_ORPHAN": Entry(E, "这名成员的户主身份证号“{value}”在“户信息”中找不到。",
                           "请核对户主身份证号，或在“户信息”中补上这一户。"),
    "MEASURE_ORPHAN": Entry(E, "这项措施的户主身份证号“{value}”在“户信息”中找不到。",
                            "请核对户主身份证号，或在“户信息”中补上这一户。"),
    "MEASURE_DONE_DATE_MISSING": Entry(E, "这项措施的落实情况是“已完成”，但没有填“完成日期”。",
                                       "请填写措施落实完成的日期，格式如 2022-06-30；还没有完成的，请把落实情况改为“计划”或“实施中”。"),
    "REVIEW_ORPHAN": Entry(E, "这条评议公示的户主身份证号“{value}”在“户信息”中找不到。",
                           "请核对户主身份证号，或在“户信息”中补上这一户。"),
    "HEAD_MISSING": Entry(E, "这一户在“家庭成员”中没有“与户主关系”为“户主”的人。",
                          "请在“家庭成员”中登记户主本人，并把“与户主关系”选为“户主”。"),
    "HEAD_MULTIPLE": Entry(E, "这一户在“家庭成员”中有 {value} 个“户主”。",
                           "每户只能有一个户主，请把其他人的“与户主关系”改正。"),
    "HEAD_ID_MISMATCH": Entry(E, "户主本人的身份证号“{value}”与本户的户主身份证号“{expected}”不一致。",
                              "户主那一行的“身份证号”必须与“户主身份证号”相同，请核对。"),
    "SIZE_MISMATCH": Entry(E, "家庭人口数填的是 {value}，但“家庭成员”中本户有 {expected} 人。",
                           "请核对家庭人口数，或在“家庭成员”中补齐/删除成员。"),
    # --- per person ---
    "SEX_MISMATCH": Entry(E, "性别“{value}”与身份证号不符（身份证号显示为{expected}）。",
                          "身份证号第 17 位单数为男、双数为女，请核对性别或身份证号。"),
    "BIRTH_MISMATCH": Entry(E, "出生日期“{value}”与身份证号中的 {expected} 不符。",
                            "请核对出生日期或身份证号第 7-14 位。"),
    "EDU_BOTH": Entry(E, "“文化程度”和“在校生状况”只能填一项，两项都填了。",
                      "在校生或学龄前儿童只填“在校生状况”，其他人只填“文化程度”。"),
    "EDU_NONE": Entry(E, "“文化程度”和“在校生状况”都没有填。",
                      "在校生或学龄前儿童填“在校生状况”，其他人填“文化程度”，两项必须填一项。"),
    "DISABILITY_TYPE_MISSING": Entry(E, "健康状况含“残疾”，但没有填“残疾类别”。",
                                     "请按残疾证填写残疾类别。"),
    "DISABILITY_GRADE_MISSING": Entry(E, "填了残疾类别，但没有填“残疾等级”。",
                                      "请按残疾证填写残疾等级（一级至四级）。"),
    "DISABILITY_MULTIPLE_PARTS": Entry(W, "残疾类别只填了“多重”，没有写出包含哪几类残疾，系统无法判断是否含精神或智力残疾（重点关注人群）。",
                                       "请按残疾证同时写出包含的类别，用顿号隔开，如“多重、智力、肢体”。"),
    # --- reviews ---
    "OBJECTION_RESULT_MISSING": Entry(E, "公示异议为“有”，但没有填“异议处理结果”。",
                                      "请填写异议处理结果：异议不成立或异议成立。"),
    "NOTICE_DATES": Entry(E, "公示结束日期（{value}）早于公示开始日期（{expected}）。",
                          "请核对公示开始和结束日期。"),
    "NOTICE_TOO_SHORT": Entry(E, "公示只有 {value} 天，少于规定的 {expected} 天（含首尾两天）。",
                              "请重新公示满 {expected} 天后再提交。"),
    "CONSENT_MISSING": Entry(E, "本户已通过评议公示，但“承诺授权”不是“是”，不能报镇里核查。",
                             "请农户签署承诺书并授权查询家庭资产信息后，把“承诺授权”改为“是”再提交（方案五(一)）。"),
    "ELIMINATION_NOT_READY": Entry(W, "本户已评议风险消除，但系统研判尚不符合风险消除条件：{reason}。",
                                   "请核实收入、刚性支出和“两不愁三保障”情况；符合条件后再评议公示（方案五(二)、五(三)）。"),
    "IMPORT_NEEDS_NUMBER": Entry(W, "本户填了识别纳入日期（{value}），但没有户编号，系统按新发现的线索处理。",
                                 "已在全国系统中的监测户请填写户编号；新发现的户不要填识别纳入日期，认定后系统会写回。"),
    "MONITORED_MISSING": Entry(W, "本村新报台账中没有该户：{name}（户主身份证号 {masked}，户编号 {number}），该户仍在监测中（当前“{state}”），不会因漏报而移出。",
                               "如该户确已自然减少（全户死亡、迁出本区、并入他户等），请把该户的行补回“户信息”，在“减少原因”选择死亡、迁出本区、并户或其他，填写“减少日期”后重新提交，由镇、区审核；如是漏报，请把该户补回台账。"),
    "REDUCE_DATE_MISSING": Entry(E, "填了减少原因“{value}”，但没有填“减少日期”。",
                                 "请填写该户死亡、迁出或并户的日期，格式如 2026-11-20。"),
    "MEMBER_LEFT_NO_REASON": Entry(W, "“家庭成员”中没有了{name}（身份证号 {masked}），上次提交时此人还在本户，系统已按成员减少记录。",
                                   "如此人已离开本户（死亡、婚嫁迁出、分户等），请把其行补回“家庭成员”，选择“减少原因”并填写“变动日期”"
                                   "（这一行不计入家庭人口数）后重新提交；如是漏填，请补回此人。"),
    "MEMBER_JOINED_NO_REASON": Entry(W, "{name}是上次提交后本户新增的成员，没有填写“增加原因”。",
                                     "请选择增加原因（出生、婚嫁迁入或其他）并填写“变动日期”；上次漏填或身份证号改正的成员选“其他”。"),
    # --- incomes and the monitoring line ---
    "INCOME_MISMATCH": Entry(W, "人均纯收入填的是 {value} 元，按各项收入计算应为 {expected} 元，相差超过 {limit} 元，系统按计算值研判。",
                             "人均纯收入 =（工资性收入+生产经营性收入+财产性收入+转移性收入−生产经营性支出）÷家庭人口数，请核对。"),
    "LINE_UNCONFIGURED": Entry(W, "区里还没有设置{value}年的监测线，暂时无法研判本户，请联系区乡村振兴局。",
                               "这不是本村填写的问题：区里设置好{value}年的监测线后，请重新提交本台账；"
                               "如果收入年度填错了，请改正后重新提交。"),
    "LINE_BELOW_FLOOR": Entry(E, "{value} 年配置的监测线 {expected} 元低于底线 {limit} 元。",
                              "请区乡村振兴局修改 rules/monitoring_line.yaml。"),
    # --- what the rules say back (rules/assessment.yaml; codes are rule ids) ---
    "R-DROP-VERIFY": Entry(W, "人均纯收入 {now} 元比上年的 {value} 元下降了 {ratio}（达到 {limit} 的大幅缩减标准），"
                              "但仍高于监测线，系统不建议纳入监测；收入大幅下降，请入户核实。",
                           "请入户核实本年各项收入是否填全、填准；核实后确有严重困难的，如实填写刚性支出和风险类型"
                           "（方案二：收入大幅缩减导致基本生活出现严重困难的纳入监测；方案三：监测范围）。"),
    "C-LABOUR-RISK": Entry(W, "风险类型填了“就业不稳定减收”，但本户没有 {low}–{high} 岁、有劳动能力的成员。",
                           "请核对成员的“劳动技能”和身份证号（年龄），或改选实际的风险类型；无劳动能力的户以兜底保障为主（方案六(二)）。"),
    "C-LABOUR-AGE": Entry(W, "{name}今年 {age} 岁，不在 {low}–{high} 岁的劳动年龄内，却登记为“{value}”。",
                          "请核对此人的劳动技能或身份证号；劳动年龄以外的人不按普通或技能劳动力计算（实践）。"),
    "C-SCHOOL-AGE": Entry(W, "{name}今年 {age} 岁，在 {low}–{high} 岁的义务教育年龄，但“在校生状况”没有填在读学段，"
                             "而本户“义务教育有保障”填的是“是”。",
                          "在读的请填写在校生状况；失学辍学的请把户信息中的“义务教育有保障”改为“否”，并落实教育帮扶（方案二）。"),
    "C-DEV-MEASURE": Entry(W, "本户有劳动力，纳入监测已满 {value} 个月，但还没有开发式帮扶措施。",
                           "有劳动能力的户应落实产业帮扶、就业帮扶、技能培训、小额信贷或公益岗位等措施（方案六(一)）。"),
    "C-RISK-MEASURE": Entry(W, "风险类型“{value}”还没有对应的帮扶措施（应有：{expected}）。",
                            "请在“帮扶措施”中补充对应措施（方案六(二)：缺什么补什么）。"),
    "C-MEASURE-STACK": Entry(W, "本户只有一项风险（{value}），却有 {n} 项帮扶措施。",
                             "方案六(二)：风险单一的实施单项措施，不硬性要求叠加帮扶措施，防止陷入福利陷阱；请核实每项措施是否必要。"),
    # --- department lists (部门数据/<部门>/, plan 四(三)); the fix is the department's next export ---
    "DEPT_FILE_FORMAT": Entry(E, "不支持“{value}”类型的文件，部门名单可以是 .xlsx、.xls、.ods、.xlsb 表格或 .csv、.txt 文本。",
                              "请部门从系统中导出 Excel 或 CSV 格式的名单后重新放入。"),
    "DEPT_TEXT_ENCODING": Entry(E, "无法识别文件的文字编码（不是 UTF-8，也不是 GBK/GB18030），无法读取。",
                                "请用 Excel 或 WPS 打开后“另存为”.xlsx，或另存为“CSV UTF-8”后重新放入。"),
    "DEPT_TOO_MANY_CELLS": Entry(E, "“{sheet}”表的数据区域过大（超过 {limit} 个单元格），无法读取。",
                                 "请检查表格最下方或最右侧是否有误填的内容或格式；名单过大时请分成几个文件放入。"),
    "DEPT_NO_ID_COLUMN": Entry(E, "{department}名单中没有找到身份证号列（表头应含“{value}”等；文件中的表头是{seen}），"
                                  "本名单没有比对，台账没有任何改动。",
                               "请部门导出时保留身份证号列和表头行；如果表头是别的叫法，请区乡村振兴局在 "
                               "rules/departments.yaml 的 id_headers 中加上它。"),
    "DEPT_FACT_MISSING": Entry(E, "{department}名单中没有找到“{column}”列（表头应含“{value}”等；文件中的表头是{seen}），"
                                  "无法判断是否需要预警，本名单没有比对，台账没有任何改动。",
                               "没有认出的表头是{unknown}：如果其中一列就是“{column}”，请区乡村振兴局把这一列的表头加到 "
                               "rules/departments.yaml 中“{department}”下 facts → {column} → headers 的列表里，下一轮即可识别；"
                               "如果名单里确实没有这一列，请部门导出时保留它后重新放入。"),
    "DEPT_FOLDER_UNKNOWN": Entry(E, "“{value}”不在已配置的部门文件夹中，没有处理。",
                                 "请把名单放到对应部门的文件夹中（{allowed}）；新增部门请区乡村振兴局在 rules/departments.yaml 中配置。"),
    "DEPT_EMPTY": Entry(E, "{department}名单中只有表头，没有人员，这份名单没有使用：该部门此前的预警保持不变，台账没有任何改动。",
                        "如果名单导出不完整，请部门重新导出完整名单后放入；如果本期确实没有需要关注的人员，原有预警由镇里核实后关闭。"),
    "DEPT_NO_VALID_ID": Entry(E, "{department}名单的 {rows} 行都没有可以比对的身份证号，这份名单没有使用：该部门此前的预警保持不变，"
                                 "台账没有任何改动。",
                              "请按下面各行的说明核对身份证号（导出时把身份证号列设为文本），重新导出后放入。"),
    "DEPT_ID_AS_NUMBER": Entry(E, "身份证号被存成了数字，后几位已经丢失（显示为“{value}”），这一行无法比对。",
                               "请部门导出时把身份证号列设为文本（导出的 CSV 不要用 Excel 打开后再保存），重新放入；"
                               "系统不会猜测补全。"),
    "DEPT_ID_FORMAT": Entry(E, "身份证号“{value}”格式不对（应为 18 位，或 15 位老号码），这一行无法比对。",
                            "请部门核对该人员的身份证号后重新导出。"),
    "DEPT_ID_BIRTH": Entry(E, "身份证号“{value}”中的出生日期不是有效日期，这一行无法比对。",
                           "请部门核对该人员的身份证号后重新导出。"),
    "DEPT_ID_CHECKSUM": Entry(E, "身份证号“{value}”的最后一位校验码不对（按前 17 位应为“{expected}”），号码中有数字错了，这一行无法比对。",
                              "请部门对照户籍信息核对该人员的身份证号后重新导出。"),
    "DEPT_ID_BLANK": Entry(E, "这一行没有身份证号{name}，无法比对。",
                           "请部门补全身份证号后重新导出。"),
    "DEPT_FACT_INVALID": Entry(W, "“{column}”填的是“{value}”，不是有效的{kind}{more}，这一项没有用于预警判断。",
                               "请部门核对后重新导出：金额和天数只写数字，日期写成 2021-08-11 的样式。"),
    "DEPT_VALUE_UNKNOWN": Entry(W, "“{column}”中的“{value}”不是可识别的值{more}，这一项没有用于预警判断。",
                                "可识别的值：{allowed}。如果这是部门系统里的另一种叫法，请区乡村振兴局在 "
                                "rules/departments.yaml 中把它加为别名。"),
}

# Severity words as shown in workbooks.
SEVERITY_WORD = {"error": "错误", "warning": "提示"}


def render(code: str, **fields: object) -> tuple[str, str]:
    """Return (message, hint) for an issue code with its fields filled in."""
    entry = CATALOGUE[code]
    safe = _SafeDict({k: show(v) for k, v in fields.items()})
    return entry.text.format_map(safe), entry.hint.format_map(safe)


def severity_of(code: str) -> Severity:
    return CATALOGUE[code].severity


def show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:  # a template field nobody passed shows empty, never crashes
        return ""


# Technical reasons from the reading library, in words a clerk can pass on (substring → Chinese).
READ_DETAILS: tuple[tuple[str, str], ...] = (
    ("Cannot detect file format", "无法识别文件格式"),
    ("Cell limit exceeded", "数据区域大得异常"),
    ("password", "文件有密码"),
    ("EOCD", "压缩包不完整，可能没有复制完"),
    ("Zip", "压缩包损坏"),
    ("zip", "压缩包损坏"),
    ("Cfb", "文件内部结构损坏"),
    ("fill whole buffer", "文件被截断，可能没有复制完"),
    ("larger than its declared", "文件内部结构损坏"),
    ("Xml", "文件内部的 XML 内容损坏"),
    ("xml", "文件内部的 XML 内容损坏"),
)


def os_reason(exc: OSError) -> str:
    """Why the operating system would not let us read a file, in Chinese."""
    import errno

    words = {errno.EACCES: "没有读取这个文件的权限", errno.EPERM: "没有读取这个文件的权限",
             errno.EISDIR: "这是一个文件夹，不是文件", errno.EBUSY: "文件正被其他程序占用"}
    return words.get(exc.errno or 0, f"无法打开文件；技术信息：{exc.strerror or exc}")


def os_problem(exc: OSError) -> str:
    """What went wrong creating, writing or opening a path, in Chinese, with what to do about it."""
    import errno

    words = {errno.EACCES: "没有权限。请换一个自己有写入权限的文件夹，或请管理员开放这个文件夹的权限",
             errno.EPERM: "没有权限（文件夹被锁定或只读）。请换一个位置，或请管理员开放权限",
             errno.ENOTDIR: "路径中有一段是文件，不是文件夹，请检查路径",
             errno.EEXIST: "已有一个同名的文件挡在这里，请把它改名或移走，或换一个名字",
             errno.ENOENT: "找不到这个文件或文件夹，请检查路径是否写对",
             errno.EISDIR: "这是一个文件夹，不是文件",
             errno.EROFS: "所在的磁盘是只读的，请换一个位置",
             errno.ENOSPC: "磁盘空间已满，请清理后再试",
             errno.EBUSY: "文件正被其他程序占用，请关闭后再试",
             errno.ENAMETOOLONG: "路径太长，请换一个短一些的文件夹或文件名"}
    return words.get(exc.errno or 0, f"无法访问（技术信息：{exc.strerror or exc}）")


def read_detail(technical: str) -> str:
    """A Chinese reason for a reading failure, keeping the technical text for support staff."""
    for needle, words in READ_DETAILS:
        if needle in technical:
            return f"{words}；技术信息：{technical}"
    return f"技术信息：{technical}"


# --- interface text (CLI summaries, sheet titles, labels) ---
TEXT: dict[str, str] = {
    "check.ok": "{file}：通过校验，共 {households} 户、{members} 人，提示 {warnings} 条。",
    "check.errors": "{file}：发现 {errors} 处错误、{warnings} 条提示（共 {households} 户、{members} 人）。",
    "check.unreadable": "{file}：无法读取。{message}",
    "check.unreadable_hint": "  改法：{hint}",
    "check.out": "已写出反馈文件：{path}",
    "check.cannot_write": "无法在“{folder}”中写出反馈文件：{reason}",
    "check.proposed": "建议纳入监测 {n} 户。",
    "check.more": "  ……另有 {n} 条，见反馈文件的“问题清单”。",
    "template.written": "已写出模板：{path}",
    "template.replaced": "已写出模板：{path}（替换了原有文件）",
    "template.exists": "“{path}”已经存在，没有覆盖（它可能是已经填好的台账）。请换一个文件名；确认不要原文件时，加 --force 替换它",
    "template.suffix": "“{name}”不是 .xlsx 文件名：模板只能是 .xlsx 格式，用“{suffix}”的名字保存，Excel/WPS 打开时会报文件格式与扩展名不符。请改用 .xlsx 结尾的名字，例如 {suggest}",
    "template.no_suffix": "“{name}”没有扩展名：模板是 .xlsx 格式，请写成 {suggest}",
    "template.is_folder": "“{path}”是一个文件夹：请给出要写出的文件名，例如 {suggest}",
    "template.folder_failed": "无法建立文件夹“{folder}”：{reason}",
    "template.cannot_write": "无法在“{folder}”中写出模板：{reason}",
    # excel-bridge init (workspace.init_workspace, cli.cmd_init)
    "init.done": "已建立工作目录：{path}",
    "init.exists": "工作目录 {path} 已经存在，没有覆盖任何文件。",
    "init.district": "  区名：{district}；区划代码：{code}；已登记 {towns} 个镇",
    "init.no_code": "（未填）",
    "init.settings_from": "  设置取自 {source}",
    "init.added": "  补建了：{paths}",
    "init.todo": "  还要做：用记事本打开 {settings}，{todo}。文件中注释的曲江区设置是填写示例。",
    "init.then": "  填好后运行 excel-bridge process {path} 处理一轮，或 excel-bridge watch {path} 持续处理。",
    "init.no_phone": "  公示名单的监督电话（supervision_phone）没有填，公示名单上将不印电话；需要时在 {settings} 中填写。",
    "init.ready": "  各镇把村级台账放入“收件箱/镇名/”，反馈文件出现在“反馈/镇名/”，区级总台账在“区级/”。",
    "init.not_applied": "{options} 没有生效：{settings} 已经存在，没有改动。要修改请直接用记事本编辑它",
    "init.root_is_file": "“{path}”是一个文件，不是文件夹：工作目录要建在一个新的（或已有的）文件夹里。请换一个名字，例如 excel-bridge init 南雄市",
    "init.file_in_the_way": "“{path}”是一个文件，挡住了工作目录要建的同名文件夹：请把它改名或移走后再运行 init（没有改动任何文件）",
    "init.folder_in_the_way": "“{path}”应是一个文件，现在是一个文件夹：请把它改名或移走后再运行 init（没有改动任何文件）",
    "init.settings_invalid": "工作目录 {path} 已经存在，没有覆盖任何文件；但其中的{error}",
    "init.from_missing": "找不到设置文件“{path}”：--from 要给出一个已有的区级设置文件（例如另一个工作目录中的 区级设置.yaml）",
    "init.from_with": "--from 已经给出了全部设置，不能再同时用 {options}；请把它们写在设置文件中",
    "init.no_name": "无法从“{path}”得出区名，请用 --name 给出，例如 --name 南雄市",
    # the district's settings file (settings.py)
    "settings.code_digits": "区划代码应为 6 位数字（本区户籍身份证号的前 6 位，如曲江区为 440205）",
    "settings.todo_district": "在“district:”后填写区名",
    "settings.todo_code": "在“district_code:”后填写本区 6 位区划代码（身份证号前 6 位，如曲江区为 440205）",
    "settings.todo_towns": "在“towns:”下登记本区各镇（村名单可以留空）",
    "settings.unfinished": "设置文件 {path} 还没有填完：{todo}。请用记事本打开它，照文件中注释的曲江区示例填写、保存后再运行本命令",
    "settings.keys_missing": "设置文件 {path} 缺少 {keys}：每个区的设置都要写明自己的区名（district）、区划代码（district_code）和各镇（towns），可参考 excel-bridge init 写出的设置文件",
    "settings.not_mapping": "设置文件 {path} 应是“名字: 值”的形式，请参考 excel-bridge init 写出的设置文件",
    "template.basis_number": "依据《关于健全防止返贫动态监测和帮扶机制的实施方案》（{number}）",
    "template.basis": "依据本区《关于健全防止返贫动态监测和帮扶机制的实施方案》",
    "template.line": "10. 监测线（人均纯收入，元/人·年）：{years}；{within}。",
    "template.line_inclusive": "人均纯收入不高于（含等于）监测线即在监测范围内",
    "template.line_exclusive": "人均纯收入低于监测线才在监测范围内",
    "state.unsubmitted": "未入账（仅校验）",
    "state.unrecorded": "未入账",
    "check.closest_village": "是不是“{name}”？请改为“{name}”。",
    "pass.file": "{town}/{name}：{status}。{message}",
    "pass.where": "（反馈文件：{path}）",
    "pass.waiting": "另有 {n} 个文件还在复制或保存中，下一轮再处理。",
    "pass.locked": "目标文件正被打开（可能在 Excel 中），新版本已另存为：{path}",
    "pass.locked_open": ("原文件正被打开（旁边有锁文件 {lock}：有人在 Excel、WPS 或 LibreOffice 中打开了它），"
                         "新版本已另存为：{path}。关闭原文件后，下次更新会写回原文件；若确实没有人打开，删除这个锁文件即可"),
    "pass.summary": "本轮处理 {n} 个文件，用时 {seconds:.1f} 秒。区级总台账：{master}",
    "pass.nothing": "收件箱里没有新文件。",
    "pass.problem": "未能写出：{line}（下一轮会再写）",
    "pass.skipped": "没有处理：{line}",
    "pass.writing": "镇级核查表和区级总台账正在后台更新。",
    "pass.another": "另一轮处理正在进行（可能是 watch 或计划任务），等它结束后再处理……",
    # what became of a submitted file (submissions.status), in the pass report, the 镇级核查表 and the 区级总台账
    "status.applied": "已入账",
    "status.duplicate": "重复提交",
    "status.unreadable": "无法读取",
    "status.failed": "处理出错",
    "status.decisions": "已读取审核决定",
    "status.dept_applied": "已比对",
    "status.dept_duplicate": "重复名单",
    "status.dept_refused": "未使用",
    "status.refused": "未入账",
    "watch.start": "开始监视 {path}（{mode}），按 Ctrl-C 停止。",
    "watch.native": "系统文件通知",
    "watch.poll": "轮询模式",
    "watch.error": "本轮处理出错，继续监视：{error}",
    "watch.config_error": "设置或规则文件有误，暂停处理（继续监视）：{error}。改正并保存后会自动继续处理",
    "watch.stopped": "已停止监视。",
    "history.none": "没有找到户编号为“{key}”、或户主及成员中有这个身份证号的户。",
    "history.source": "（来源文件指纹 {sha}…）",
    "demo.built": "已生成模拟区：{files} 个村级台账、共 {households} 户（故意制造了 {mistakes} 处填写错误），目录：{path}",
    "demo.where": "区级总台账：{master}\n各村反馈文件和镇级核查表：{feedback}（{n} 个镇）\n收到的原始文件（按内容指纹归档）：{archive}",
    # the district's own files (区级设置.yaml, schemas/, rules/)
    "config.missing": "找不到{what}文件 {path}",
    "config.encoding": "{what}文件 {path} 不是 UTF-8 编码，请用记事本“另存为”UTF-8 后再试",
    "config.syntax": "{what}文件 {path} 格式错误{where}：请检查冒号、缩进（用空格，不用 Tab）和括号是否成对",
    "config.where": "（第{line}行第{column}列附近）",
    "config.invalid": "{what}文件 {path} 有误：{problems}",
    "config.entry": "“{place}”{problem}",
    "config.line": "（第{line}行）",
    "config.more": "；另有 {n} 处",
    "config.bundled_missing": "找不到程序自带的 {name}/ 目录，安装可能不完整",
    "config.source_unknown": "sources 或 meanings 中的 {names} 不是本项的参数（名字写错了？）",
    "config.lines_empty": "lines 中至少要有一个年份的监测线",
    "config.line_missing": "rules/monitoring_line.yaml 中还没有{year}年的监测线：请区乡村振兴局在 lines 中增加一行“{year}: 金额”，保存后重新处理",
    "config.floor_too_low": "rules/monitoring_line.yaml 中的底线 {floor:g} 元低于方案规定的 {plan:g} 元（2020年省相对贫困标准），不能下调",
    "config.lists_shape": "{path} 应是“名字: [可选值…]”的清单",
    "config.kind": "配置文件 {path} 的 kind 应为 {kind}",
    "config.list_unknown": "{path}：列“{header}”引用的清单 {name} 在 lists.yaml 中不存在",
    # command line (cli.py)
    "cli.date_format": "日期格式应为 2021-08-11：{text}",
    "cli.error": "错误：{error}",
    "cli.issue": "  [{severity}] {where}：{message}",
    "cli.issue_row": " 第{row}行",
    "cli.issue_column": "“{column}”",
    "cli.history_who": "{level}级{person}",
    "cli.history_person": "（{person}）",
    "cli.issue_hint": "      改法：{hint}",
    "cli.issue_nowhere": "  [{severity}] {message}",
    "cli.os_error": "{path}：{reason}",
    "cli.interrupted": "已中断。",
    "cli.internal": "程序内部错误（不是您操作的问题）。请把下面的全部内容复制下来，发给系统管理员：",
    "cli.not_integer": "应填整数，写的是“{text}”",
    "cli.not_number": "应填数字（秒），写的是“{text}”",
    "cli.code_format": "区划代码应为 6 位数字（本区户籍身份证号的前 6 位，如曲江区为 440205），写的是“{text}”",
    "cli.timed": "{time} {line}",
    # -v: the CLI's own log lines (logging's %-style arguments)
    "cli.settings_bundled": "注意：当前文件夹及其上级中没有区级工作目录，按程序自带的{district}设置（{towns} 个镇）处理；要用本区的设置，请在本区工作目录中运行，或加 --workspace 工作目录",
    "cli.log.settings_workspace": "使用工作目录 %s 的设置（%s，区划代码 %s，%d 个镇）",
    "cli.log.check": "%s：读取、校验和研判用时 %.2f 秒（%d 字节，内容指纹 %s…）",
    "cli.log.pass": "本轮结束：处理 %d 个文件，写出 %d 个工作簿，%d 个文件还在复制中，用时 %.1f 秒",
    "cli.log.output": "写出 %s",
    # --help of every command (cli.build_parser); m.* are the placeholders shown in 用法
    "help.description": "防止返贫动态监测和帮扶：村级台账（Excel/WPS）的校验、研判、汇总与审批。",
    "help.epilog": "示例：\n"
                   "  excel-bridge init 南雄市 --code 440282      建立本区的工作目录，再按提示填写区级设置.yaml\n"
                   "  excel-bridge watch 南雄市                   持续处理各镇放入收件箱的台账\n"
                   "  excel-bridge check 某村.xlsx                只校验一个文件\n"
                   "  excel-bridge export 民政 --workspace 南雄市 导出推送民政的监测对象信息\n"
                   "  excel-bridge 命令 -h                        查看某个命令的说明\n"
                   "\n"
                   "退出码：0 完成；1 文件有错误（check）或没有找到这一户（history）；\n"
                   "        2 命令写错、给出的文件或文件夹用不了（不存在、无法读取、已存在、扩展名不对、没有权限）；\n"
                   "        3 工作目录、区级设置、表结构、规则或台账数据库需要改正；4 程序内部错误；130 按了 Ctrl-C。",
    "help.version": "显示版本号后退出",
    "help.verbose": "显示处理过程（带时间，写到标准错误）：用的哪份设置、每轮用时、写出的每个工作簿、读取的审核决定等",
    "help.command_metavar": "命令",
    "help.check": "校验一个村级台账并给出研判结果（不入账）",
    "help.template": "生成空白的村级台账模板（.xlsx）",
    "help.init": "建立区级工作目录（区级设置、收件箱、反馈、归档、区级总台账、台账数据库）",
    "help.process": "处理一轮收件箱后退出（供计划任务/cron 使用）",
    "help.watch": "持续监视收件箱，文件放入后自动处理，每行带时间（Ctrl-C 停止）",
    "help.history": "列出一户的全部流程记录（谁、何时、从什么状态到什么状态、依据哪个文件）",
    "help.demo": "生成一个模拟的曲江区（各镇各村台账），放入收件箱并处理一轮",
    "help.export": "导出推送给部门（如民政）的监测对象信息，或某部门负责的帮扶措施，供部门比对和帮扶（方案七(二)）",
    "help.m.file": "文件",
    "help.m.out": "反馈文件",
    "help.m.out_file": "输出文件",
    "help.m.date": "日期",
    "help.m.workspace": "工作目录",
    "help.m.database": "数据库地址",
    "help.m.folder": "目录",
    "help.m.town": "镇名",
    "help.m.village": "村名",
    "help.m.district": "区名",
    "help.m.code": "区划代码",
    "help.m.settings": "设置文件",
    "help.m.count": "数目",
    "help.m.seconds": "秒数",
    "help.m.household": "户编号或身份证号",
    "help.config.workspace": "使用某个区级工作目录中的设置、表结构和规则（不给时用程序自带的曲江区设置）",
    "help.config.schemas": "表结构目录（默认用程序自带的 schemas/）",
    "help.config.rules": "规则目录（默认用程序自带的 rules/）",
    "help.check.file": "村级台账文件（xlsx/xlsm/xls/xlsb/ods/et）",
    "help.check.json": "以 JSON 输出（一个对象，含每条问题的改法）",
    "help.check.out": "写出反馈文件（不写文件名时为“原文件名_反馈.xlsx”）",
    "help.as_of": "按哪一天研判（默认今天），如 2021-12-31",
    "help.template.out": "要写出的模板文件名，以 .xlsx 结尾，如 村级监测台账模板.xlsx（所在文件夹不存在时自动建立）",
    "help.template.town": "镇名（写入模板的隐藏信息）",
    "help.template.village": "村名（写入模板的隐藏信息）",
    "help.template.force": "文件已存在时替换它（不加时不会覆盖已有文件）",
    "help.init.dir": "区名，同时是新建工作目录的名字；也可以带上路径，如 D:\\监测\\南雄市（区名取最后一段）",
    "help.init.name": "区名与目录名不同时，用它给出区名",
    "help.init.code": "本区 6 位区划代码（户籍身份证号的前 6 位，如曲江区为 440205）；不给时要在设置文件中补填",
    "help.init.from": "用一个已经填好的区级设置文件（如另一台电脑上的 区级设置.yaml），不再另写设置",
    "help.dir": "工作目录（默认当前目录）",
    "help.workers": "并行进程数（默认每个 CPU 核一个）",
    "help.database": "台账数据库放在 PostgreSQL 服务器上时它的地址（写法见说明文档；默认取区级设置中的 database，都没有时用本目录“系统”文件夹里的台账文件）",
    "help.process.wait": "确认文件已复制完成的等待秒数（默认取设置）",
    "help.process.refresh": "即使没有新文件也重新生成镇级核查表和区级总台账",
    "help.watch.poll": "轮询模式：用于网络共享/SMB 文件夹（收不到系统通知时）",
    "help.history.id": "户编号，或户主、任一成员的身份证号",
    "help.demo.dir": "演示工作目录（默认 demo-district）",
    "help.export.department": "部门名：民政（区里设定为推送数据的部门）导出监测对象；其他部门（如 医保、人社，或措施所填的责任单位名称）"
                              "导出该部门负责的帮扶措施",
    "help.export.since": "只导出这一天以来有变动的监测户，如 2021-12-01（不给时导出全部监测户）",
    "help.export.out": "输出文件，以 .xlsx 结尾（默认 区级/部门共享/<部门>_监测对象_<日期>.xlsx，"
                       "帮扶措施为 <部门>_帮扶措施_<日期>.xlsx）",
    "help.rules-page": "根据 rules/ 中的规则文件重新生成供区里审定签字的规则一览（改了规则之后运行）",
    "help.rules_page.rules": "规则文件夹（不给时用工作目录中的 rules/）",
    "help.export.as_of": "截至哪一天（默认今天），如 2021-12-31",
    "help.report": "生成某月的防止返贫动态监测帮扶情况通报（区级/通报/，可打印签发；有 LibreOffice 时同时生成 PDF）",
    "help.report.month": "通报的月份，如 2021-12（默认本月；已通报过的月份按当时的数字）",
    "help.report.as_of": "今天按哪一天算（默认今天），如 2021-12-31",
    "help.m.month": "年-月",
    "help.m.department": "部门",
    "help.demo.villages": "每个镇的村数（默认 3）",
    "help.demo.households": "每个村的户数（默认 40）",
    "help.demo.mistakes": "每个村故意制造的填写错误数（默认 3）",
    "help.demo.seed": "随机种子（相同种子生成相同数据，默认 2021）",
    # log lines: level words and the line's shape
    "log.format": "%(asctime)s %(levelword)s %(message)s",
    "log.DEBUG": "调试",
    "log.INFO": "信息",
    "log.WARNING": "注意",
    "log.ERROR": "错误",
    "log.CRITICAL": "严重错误",
    # town and district decisions read back from the saved workbooks (decisions.py); shown atop the next copy
    "decision.no_sheet": "找不到“{sheet}”工作表（可能被改名或删除）",
    "decision.no_column": "“{sheet}”中找不到“{column}”列",
    "decision.no_token": "“{sheet}”中隐藏的“{token}”列被删除，无法确认每一行是哪一户",
    "decision.unreadable": "{file}：{reason}，其中的决定没有生效。原文件已归档，请在本表中重新选择",
    "decision.failed": "处理这份表格时程序出错（已记入日志，请联系区乡村振兴局）",
    "decision.row": "{who}：{reason}",
    "decision.who": "{name}户{key}",
    "decision.who_unnamed": "一行未填户主姓名的决定{key}",
    "decision.who_number": "（户编号{number}）",
    "decision.who_id": "（户主身份证号{id}）",
    "decision.repeated": "这一户在本表中已有一行决定生效，这一行未采用",
    "decision.summary": "{who}：{applied} 项决定生效{refused}",
    "decision.summary_refused": "，{n} 项未生效",
    "decision.not_a_choice": "“{decision}”不是可选的结论（可选：{choices}）",
    "decision.token_broken": "这一行的隐藏行令牌缺失或被改动，无法确认是哪一户，请使用系统最新生成的表格",
    "decision.token_invalid": "行令牌无效，无法确认是哪一户，请使用系统最新生成的表格",
    "decision.household": "{village}{head}户",
    "decision.stale": "{label}的状态已变为“{state}”，这一行来自旧版表格，本次决定未生效",
    "decision.changed": "{label}的信息在这份表格生成后有变化（村里新报的台账改了本户的数字、成员、电话或备注等），这一行来自旧版表格，本次决定未生效，请在最新表格中看过本户后重新决定",
    "decision.other_town": "{label}不属于{town}，不能在本镇核查表中决定",
    "decision.wrong_level": "{label}当前状态为“{state}”，不应由{level}级决定",
    "decision.removed": "{label}已不在本村最新台账中（已移出），本次决定未生效",
    "decision.unknown": "{label}最新提交的台账中本户填写有误，无法研判，“{decision}”未生效；请退回村里改正，或等改正后的台账到达后再决定",
    "decision.missing": "{label}选择了“{decision}”，但{what}，本次决定未生效（已填的保留在新表格的这一行，补上标红的格子后保存即可）",
    "decision.missing_reason": "没有写明原因（{column}栏）",
    "decision.missing_person": "没有填写{column}（每项决定都要记录经办人）",
    # 预警 in the town workbooks and the master (alerts.py)
    "alert.overdue": "{lead_date} 发现线索，已 {days} 天仍未认定（规定不超过 {limit} 天），当前“{state}”",
    "alert.whole_town": "（全镇）",
    "alert.scale_risk": "“{risk}”风险涉及 {n} 户，达到 {per_type} 户的预警线（方案六(四)）",
    "alert.scale_new_village": "近 {period} 天新发现监测户 {n} 户，占本村在册 {total} 户的 {ratio:.1%}，超过 {share:.0%} 且不少于 {minimum} 户（方案六(四)）",
    "alert.scale_new_town": "近 {period} 天全镇新发现监测户 {n} 户，占在册 {total} 户的 {ratio:.1%}，超过 {share:.0%} 且不少于 {minimum} 户（方案六(四)）",
    "alert.kind.drop_verify": "收入大幅下降待核实",
    "alert.drop_verify": "人均纯收入 {now} 元，比上年 {prev} 元下降 {ratio}，仍高于监测线：收入大幅下降，请入户核实（方案二、三）",
    "alert.conflict": "{name}（身份证尾号{tail}）同时登记在{other_town}{other_village}",
    "alert.kind.absent": "监测户未报",
    "alert.absent": "本村新报台账中没有该户（{since}起），该户仍为“{state}”：请村里补回该户，或填写减少原因和减少日期由镇、区审核自然减少",
    "alert.kind.not_proposed": "研判不建议纳入",
    "alert.not_proposed": "{detail}。镇核查时可选“不予纳入”并写明原因，村里的反馈表会显示",
    # what in the inbox was not processed (intake.py; 收件箱说明.txt)
    "intake.note_title": "收件箱处理说明（{stamp}）",
    "intake.loose_file": "“{name}”直接放在了收件箱里，请放到所属镇的文件夹中。",
    "intake.unknown_town": "文件夹“{name}”不是区里登记的镇，其中的文件不会处理。",
    "intake.not_spreadsheet": "“{name}”不是表格文件（xlsx/xls/ods 等），没有处理。",
    "intake.link": "“{name}”是一个快捷方式（链接），系统不会顺着它去读别处的文件：请把文件本身放进来。",
    # one processing pass: outcome of each file, decision workbooks in the wrong place (process.py)
    "process.file_note": "{name}：{message}",
    "process.master_in_inbox": "区级总台账只能由区里在“区级”文件夹中直接修改保存，放入镇收件箱的不会生效",
    "process.review_elsewhere": "这是{town}的镇级核查表，放在{folder}的文件夹中不会生效",
    "process.review_from_villages": "镇级核查表放在了各村提交台账的“收件箱/{town}/”中，其中的决定不会生效：镇里请直接在“反馈/{town}/镇级/”中修改保存核查表，或放入“收件箱/{town}/镇级/”",
    "process.decisions_died": "文件结构异常，读取时超出了时间或内存限制",
    "process.review_other_town": "另一个镇",
    "process.decisions_failed": "读取审核决定时出错：{error}",
    "process.decisions": "{applied} 项决定生效{refused}",
    "process.decisions_refused": "，{n} 项未生效（见新表格顶部说明）",
    "process.same_submission": "第{id}号提交",
    "process.same_pass": "同一轮的“{name}”",
    "process.same_content": "与{same_as}内容相同",
    "process.duplicate": "内容与已处理的文件相同，不重复入账",
    "process.duplicate_counts": "内容与本村最新入账的文件相同，不重复入账（该文件：{households}户，错误{errors}处，提示{warnings}条）",
    "process.reissued": "，已重新发放反馈文件",
    "process.reissue_failed": "，反馈文件未能重新写出（下一轮会再写）",
    "process.other_town": "文件中的户属于{towns}（{where}“镇”一列），与所在的“{folder}”文件夹不一致，整个文件没有入账",
    "process.rows": "户信息第 {rows} 行",
    "process.other_town_note": "文件：{name}\r\n问题：{message}。\r\n改法：如果放错了文件夹，请放入“收件箱/{town}/”；如果镇名填错了，请改正“镇”一列后重新提交。\r\n",
    "process.other_town_their_note": "文件“{name}”放在了{folder}的收件箱里，但其中的户属于{town}，没有入账。请与{folder}核实，把它放入“收件箱/{town}/”。\r\n",
    "process.empty": "文件中没有任何一户（可能是空白模板），没有入账；本村原有的反馈文件保持不变",
    "process.empty_hint": "请在“户信息”“家庭成员”中填写本村各户后再提交；如果放错了文件，请换成已填好的台账。",
    "process.not_taken": "文件无法取出归档（{reason}），还留在收件箱里；请改短文件名或检查文件夹权限后，下一轮会再处理",
    "process.note_failed": "无法写出说明文件 {path}：{reason}",
    "process.copy_failed": "{town}{villages}的反馈文件（{name}）：{reason}",
    "process.notice_failed": "{town}{village}的公示名单：{reason}",
    "process.moved_town": "同一文件已改放到{town}的文件夹，这里的登记作废",
    "process.applied": "{households}户，错误{errors}处，提示{warnings}条",
    "process.unplaced": "；其中{n}户的村名不在本镇登记的村名单中，没有入账",
    "process.unreadable_note": "文件：{name}\r\n问题：{message}\r\n改法：{hint}\r\n",
    "process.failed": "处理时出现程序错误，台账没有改动；原文件已归档，请联系区乡村振兴局",
    "process.failed_detail": "{message}（{type}: {error}）",
    # the processing log (process.py): logging's own %-style arguments, not str.format
    "process.log.decisions_failed": "读取审核决定出错 %s：%r",
    "process.log.decisions": "%s：%d 项决定生效，%d 项未生效",
    "process.log.archive_failed": "无法读取或归档 %s：%s",
    "process.log.file": "%s/%s：%s %s",
    "process.log.failed": "处理 %s 时出错（台账未改动）：%r",
    "process.log.feedback_failed": "写反馈文件失败（第%s号提交）：%s",
    "process.log.saved_again": "%s 在处理期间又被保存，留待下一轮处理",
    "process.log.line_missing": "%s/%s：%s年还没有监测线，其中 %d 户暂不能研判。请区乡村振兴局在 rules/monitoring_line.yaml 的 lines 中增加%s年的监测线，村里重新提交后即可研判",
    "process.log.not_removed": "无法从收件箱移走 %s：%s",
    "process.log.not_moved": "无法把 %s 移到新的文件夹：%s",
    "runner.log.retry_alone": "%d 个任务所在的工作进程异常退出，逐个重试以找出是哪个文件",
    "workspace.unknown_village": "未知村",
    "district.town_workbook": "{town}镇级核查表",
    "district.master": "区级总台账",
    "district.all": "镇级核查表和区级总台账",
    "district.share": "部门共享名单",
    "dept.not_read": "名单读取时超出了时间或内存限制，没有使用；原文件已归档，请部门重新导出后放入",
    "district.write_failed": "{what}：{reason}",
    "district.log.failed": "写出 %s 失败：%s",
    "decision.not_an_approver": "{label}的{who}“{person}”不在区级设置登记的审核人名单中，本次决定未生效",
    # comments of the events a village file causes (ingest.py; shown by history and in the master's 变更记录)
    "ingest.removed": "本村最新台账中已没有这一户，标记为已移出",
    "ingest.restored": "重新出现在本村台账中",
    "ingest.created_imported": "按台账中的识别纳入日期导入",
    "ingest.created_lead": "研判建议纳入监测，登记为线索",
    "ingest.created_not_included": "登记在册，研判暂不纳入",
    "ingest.created_unknown": "登记在册，本户填写有误无法研判，改正后重新研判",
    "ingest.absent": "本村新报台账中没有该户；监测户不会因漏报移出，仍为“{state}”，待村里说明减少原因",
    "ingest.member_left": "成员减少：{name}（{masked}），{reason}{date}",
    "ingest.member_joined": "成员增加：{name}（{masked}），{reason}{date}",
    "ingest.member_reason": "原因：{reason}",
    "ingest.member_no_reason": "台账未填原因",
    "ingest.member_date": "，变动日期 {date}",
    "ingest.reduce": "村里申报自然减少：{reason}（{date}）",
    "ingest.reduce_opinion": "村申报自然减少：{reason}（减少日期 {date}），待镇、区审核",
    "ingest.removed_reason": "村里填写减少原因“{reason}”，未纳入监测的户直接移出",
    "ingest.readmit": "已移出的户重新列入本村台账，重新研判",
    "ingest.not_proposed": "研判不建议纳入：{reason}；线索来源为“{channel}”，仍保留为线索，由村评议和镇核查决定",
    "ingest.not_proposed_income": "人均纯收入{income}元，高于监测线{line}元",
    "ingest.not_proposed_other": "按现有数据不符合纳入条件",
    # the ledger database (ledger.py)
    "ledger.cannot_open": "无法打开台账数据库 {path}：{error}",
    "ledger.too_new": "台账数据库版本（{current}）比本程序（{supported}）新，请升级 excel_bridge",
    "ledger.busy": "台账数据库被占用：{error}",
    "ledger.connection_lost": "与台账数据库 {database} 的连接中断了（服务器可能重启或网络断开）。本轮处理已停止："
                              "已入账的文件都是完整的，其余文件留在收件箱，连接恢复后下一轮处理会接着处理；"
                              "如果一直连不上，请联系管理数据库服务器的同事",
    "ledger.disk_full": "台账数据库 {database} 所在的磁盘已满，本次写入已全部撤销（没有写入一半的记录）。本轮处理已停止，"
                        "未处理的文件留在收件箱；请清理磁盘空间后再处理",
    "ledger.unsupported_url": "不支持的台账数据库地址 {url}：只能用 SQLite 文件的路径（如 系统/ledger.sqlite），"
                              "或 PostgreSQL 地址 postgresql+psycopg://用户:密码@服务器:端口/库名（也可写 postgresql://…）；"
                              "请改正 区级设置.yaml 的 database: 或 --database",
    "ledger.pass_busy": "另一个程序（可能在另一台电脑或另一份工作目录上）正在处理同一个台账数据库 {database}，"
                        "等它处理完再处理……",
    "ledger.pass_busy_exit": "另一个程序（可能在另一台电脑或另一份工作目录上）正在处理同一个台账数据库 {database}，"
                             "本次没有处理任何文件；请等它处理完后再运行（同一个台账同时只能有一处在处理）",
    # a household's story (history.py)
    "history.title": "{town}{village} {head}户（户编号 {number}，户主身份证号 {masked}）当前状态：{state}{removed}",
    "history.no_number": "无",
    "history.removed": "（已移出）",
    "history.by_member": "  （身份证号 {masked} 是本户成员{name}）",
    # reading in a memory-capped child process (isolate.py)
    "isolate.timeout": "超过 {seconds:.0f} 秒",
    "isolate.died": "子进程异常退出（{code}）",
    "isolate.log.no_cap": "此系统不能限制进程的内存（Windows 即如此）：读文件的工作进程不设内存上限运行，一个文件出错仍只影响读它的那个进程",
    # the demo district (demo.py)
    "demo.not_demo_dir": "目录 {path} 已存在且不是演示目录，请换一个目录（演示不会覆盖真实数据）",
    # comment of the event when a village's review and notice send a household on (village_step.py)
    "village.review_passed": "民主评议{review_date}通过，公示{notice_start}至{notice_end}",
    # the town review workbook (writers/town.py); the refused-decisions note also heads the master's 待区审核
    "town.instruction": "{town}镇级核查表：请在黄色列选择“同意”“退回”或“不予纳入”（仅纳入监测核查可选），退回或不予纳入时写明原因，填写核查人和日期后保存。",
    "town.refused_notes": "上次提交中未生效的决定：{notes}",
    "town.review_summary": "{matter}：{review_date}评议{result}，公示{notice_start}至{notice_end}，异议{objection}",
    "town.reduce_summary": "自然减少：{reason}，减少日期{date}",
    "decision.not_proposed": "研判不建议纳入（线索来自农户申报、部门预警或信访，留待核查决定）；不纳入请选“不予纳入”并写明原因",
    "town.not_submitted": "（尚未提交）",
    "town.sent_up_instruction": "本镇已作出的核查、验收决定（最近的在前）：“同意”的已报区级，区级的结论和意见出来后显示在右侧；“退回”的已发回村里。",
    "town.date_error": "请填写日期，如 2021-08-11",
    # the district master workbook (writers/master.py)
    "master.title": "{district}防止返贫动态监测总台账",
    "master.line": "监测线：{year}年 {line:g} 元/人·年",
    "master.no_line": "监测线：{year}年尚未配置",
    "master.chart_towns": "各镇户数（按流程状态，不含未纳入、已移出）",
    "master.chart_categories": "监测对象户数（按认定类别）",
    "master.chart_risks": "监测对象户数（按风险类型，一户多种风险各计一次）",
    "master.category_header": "认定类别（监测对象）",
    "master.risk_header": "风险类型（监测对象）",
    "master.updated": "更新时间：{now:%Y-%m-%d %H:%M:%S}（由系统根据台账数据库自动生成，请勿在此表中修改数据；审核决定请在“待区审核”表中选择）",
    "master.instruction": "待区审核：请在黄色列选择“同意”“退回”或“不予认定”（仅纳入监测认定可选），退回或不予认定时写明原因，填写审核人和日期后保存本工作簿。",
    # the district's numbers (statistics.py; the master's 统计, a town's 本镇统计, the 通报)
    "stats.title.monitored": "监测对象户数、人数（帮扶中、待镇验收、待区审批的户，按镇和认定类别）",
    "stats.note.monitored": "认定类别为区级认定纳入时确定的类别，之后的研判结果不改变它；人数为各户最近一次被接受的家庭成员数。线索、待镇核查、待区认定的户不计入（见“在途”），风险已消除的户另表统计。",
    "stats.title.eliminated": "风险已消除户数、人数（按镇）",
    "stats.title.under_way": "在途户数、人数（已成为线索、尚未认定，或自然减少审核中，按镇和流程状态）",
    "stats.note.under_way": "在途的户不是监测对象，不计入认定类别和风险类型的统计。",
    "stats.title.risk": "监测对象按风险类型统计的户数、人数（帮扶中、待镇验收、待区审批的户）",
    "stats.note.risk": "一户有几种风险类型，就在每一种风险类型下各计一次，所以各风险类型户数之和可以大于监测对象户数；最后一行为监测对象户数（每户只计一次）。",
    "stats.risk_total": "监测对象户数（每户只计一次）",
    "stats.title.channel": "按线索来源统计的户数（在途、监测对象和风险已消除的户，按镇）",
    "stats.note.channel": "线索来源以该户在村级台账中填写的为准；未填写的单列。",
    "stats.title.monthly": "逐月统计（户）：收到线索、认定纳入、风险消除、自然减少（{start:%Y年%m月%d日}至{end:%Y年%m月%d日}）",
    "stats.note.monthly": "按各事项生效的日期计入月份；导入的已认定户按其识别纳入日期计入“认定纳入”。",
    "stats.month": "{year}年{month}月",
    "stats.cycle_total": "本年度合计",
    "stats.sheet_title": "{district}{scope}防止返贫动态监测统计（截至{as_of:%Y年%m月%d日}）",
    # 考核 by town (town_checks.py): each entry says what the town must do
    "checks.title": "考核（按镇，截至{as_of:%Y年%m月%d日}）：识别超过{limit}天（未认定的和本周期已认定的）、部门预警逾期未核实、本周期未报台账的村、帮扶中缺监测联系人或帮扶措施",
    "checks.note": "每一项的明细见下方清单（镇级核查表的“本镇考核”表列出本镇的清单），按清单逐户（逐村）办理后，下一次统计即不再计入。",
    "checks.overdue": "{lead_date:%Y-%m-%d}成为线索，已{days}天仍未认定（期限{limit}天，目前{state}）：请尽快完成评议公示、核查和认定",
    "checks.late": "{lead_date:%Y-%m-%d}成为线索，{identified_date:%Y-%m-%d}才认定纳入，用时{days}天（期限{limit}天）：请查明原因，今后按期完成",
    "checks.no_contact": "帮扶中但未填写监测联系人：请在村级台账“监测联系人”“联系人电话”列填写后重新提交",
    "checks.no_measure": "帮扶中但没有帮扶措施：请在村级台账“帮扶措施”表中为本户登记措施后重新提交",
    "checks.warning": "{department}部门预警（{fact}）核实期限{deadline:%Y-%m-%d}已过仍未核实：请在“部门预警”表中填写核实结论",
    "checks.no_file": "自{since:%Y年%m月%d日}以来本村没有报送村级台账：请督促村里提交",
    "checks.sheet_title": "{district}{scope}考核清单（截至{as_of:%Y年%m月%d日}）",
    # the monthly 通报 (report.py, writers/bulletin.py, `excel-bridge report`)
    "report.file_name": "{district}防止返贫动态监测帮扶情况通报（{year}年{month}月）.xlsx",
    "report.title": "{district}防止返贫动态监测帮扶情况通报（{year}年{month}月）",
    "report.dated": "数据截至{as_of:%Y年%m月%d日}　　{district}乡村振兴局",
    "report.sheet": "表{n}",
    "report.key_figures": "截至{as_of:%Y年%m月%d日}，{district}共有监测对象{households}户{people}人，其中{categories}；风险已消除{eliminated}户{eliminated_people}人；另有在途（线索、待镇核查、待区认定及自然减少审核中）{under_way}户{under_way_people}人，尚未计入监测对象。{month}月收到线索{leads}户，认定纳入{identified}户，风险消除{eliminated_month}户，自然减少{reduced}户。各表口径见表名和表下说明。",
    "report.category_part": "{category}{households}户{people}人",
    "report.frozen": "本月数字于{at:%Y-%m-%d %H:%M}首次通报时冻结保存，此后的更正计入下月通报。",
    "report.counted_late": "{year}年{month}月结束时台账中没有留存当月的数字（当月没有通报，系统也没有处理过文件）：各户的状态按{day:%Y年%m月%d日}的台账统计，逐月表按各事项生效的日期计入月份。此后本月数字即按本次通报冻结。",
    "report.correction": "更正说明：上月通报后，{month}的数字有更正（{changes}），已计入本期。",
    "report.correction_item": "{what}由{before}户改为{after}户",
    "report.sign": "审核人：＿＿＿＿＿＿　　　负责人：＿＿＿＿＿＿　　　（盖章）　　　　年　　月　　日",
    "report.month_format": "月份应写成 2021-12 这样的年-月，写的是“{text}”",
    "report.future_month": "{year}年{month}月还没有开始，不能通报；请给出已开始的月份，如 --month 2021-12",
    "report.done": "已生成{district}{year}年{month}月通报：{path}（数据截至{as_of:%Y-%m-%d}，监测对象{households}户{people}人）",
    "report.done_frozen": "（本月数字为{at:%Y-%m-%d %H:%M}首次通报时的数字）",
    "report.pdf": "PDF：{path}",
    "report.no_pdf": "没有找到 LibreOffice（soffice），未生成 PDF；可用 Excel 或 WPS 打开工作簿后打印",
    # the printed 公示名单 (writers/notice.py); reasons in plain words that reveal no illness or disability
    "notice.title": "{district}{town}{village}防止返贫监测对象公示名单",
    "notice.body": "根据《关于健全防止返贫动态监测和帮扶机制的实施方案》，经农户申请（或入户排查）、村民主评议，现将以下农户予以公示。如有异议，请在公示期内向村民委员会或镇人民政府反映。",
    "notice.footer": "{supervision}{village}村民委员会（盖章）    {year}年{month}月{day}日",
    "notice.supervision": "监督电话：{district}乡村振兴局 {phone}        ",
    "notice.period": "{start} 至 {end}",
    "notice.reason.income": "家庭人均纯收入不高于监测线",
    "notice.reason.drop": "家庭收入大幅缩减",
    "notice.reason.rigid": "刚性支出较大，基本生活出现困难",
    "notice.reason.guarantee": "“两不愁三保障”或饮水安全存在风险",
    "notice.reason.reviewed": "经村民主评议建议纳入监测",
    "notice.reason.elimination": "收入持续稳定，“两不愁三保障”及饮水安全持续巩固",
    # the returned copy (returned/plan.py): system columns, cell comments, 问题清单
    "feedback.proposed": "建议纳入监测：{reasons}",
    "feedback.rule": "{title}（方案{clause}）",
    "feedback.cannot_assess": "无法研判：{fields}填写有误或与其他表不一致，请先改正；改正前本户不进入审核流程",
    "feedback.cannot_assess_any": "有关收入或保障的格子",
    "feedback.not_proposed": "暂不纳入：人均纯收入高于监测线，刚性支出未使其降入监测范围，两不愁三保障及饮水安全有保障",
    "feedback.drop_to_verify": "；{title}（方案{clause}）：收入大幅下降但仍高于监测线，请入户核实",
    # the assistance suggestion (rules.Assessor.assistance; plan 六(一)(二))
    "assistance.development": "开发式帮扶",
    "assistance.security": "兜底保障",
    "assistance.security_and_development": "兜底保障+开发式帮扶",
    "assistance.single": "单项措施",
    "assistance.comprehensive": "综合帮扶",
    "feedback.priority": "重点关注（方案{clause}）",
    "feedback.unrecorded_id": "本户没有入账，不能研判和报审：户主身份证号有误——{message}改法：{hint}",
    "feedback.unrecorded": "本户没有入账，不能研判和报审：请按标红的格子改正后重新提交",
    "feedback.receipt_title": "村级监测台账处理回执",
    "feedback.check_errors": "错误{errors}处{warnings}",
    "feedback.check_and_warnings": "，提示{n}条",
    "feedback.check_warnings": "提示{n}条",
    "feedback.comment_issue": "【{severity}】{message}\n改法：{hint}",
    "feedback.no_issues": "本文件未发现问题。",
    # the returned copy's log (returned/write.py, via_openpyxl.py): logging's %-style arguments
    "feedback.log.patch_unsupported": "%s 不能直接修改（%s），改用 openpyxl 生成反馈文件",
    "feedback.log.openpyxl_rebuild": "openpyxl 无法打开 %s（%s），按数值重建",
    # the page footer of every printed sheet (writers/printing.py; &P the page, &N the pages)
    "print.footer": "第 &P 页，共 &N 页",
    # placing a written workbook (writers/common.py): logging's %-style arguments
    "place.log.side_copy": "目标文件被占用（可能正在 Excel 中打开），已另存为 %s",
    "place.log.side_copy_lock": "%s 旁边有锁文件 %s（正在 Excel、WPS 或 LibreOffice 中打开），新版本已另存为 %s",
    "place.log.unfinished": "写了一半的文件已关闭（磁盘已满或无法写入）：%s",
    # worker processes (runner.py) and the watcher (watch.py): logging's %-style arguments
    "runner.log.no_workers": "工作进程无法启动，改为在主进程中处理",
    "runner.log.failed": "处理出错",
    "watch.log.pass_failed": "本轮处理出错，继续监视",
    # risk elimination (rules.Assessor.elimination_verdict)
    "elimination.not_identified": "没有识别纳入日期",
    "elimination.too_soon": "纳入监测仅 {months} 个月，未满 {minimum} 个月",
    "elimination.no_measure": "还没有落实任何帮扶措施",
    "elimination.income_unknown": "人均纯收入无法判断",
    "elimination.income_low": "人均纯收入仍不高于监测线",
    "elimination.falling": "收入比上年下降，稳定性较弱，继续帮扶",
    "elimination.rigid": "刚性支出较大，继续帮扶",
    "elimination.guarantee": "“两不愁三保障”及饮水安全尚未全部达标",
    "elimination.no_labour": "家中无劳动能力成员，暂不标注风险消除，继续落实社会保障措施（方案五(二)）",
    "elimination.labour_unknown": "成员劳动技能填写有误，无法判断",
    "elimination.eligible": "收入稳定达标、“两不愁三保障”及饮水安全巩固，可以启动风险消除程序",
    # 审核意见 of each household: what happens next, and where it stands on risk elimination (status.py)
    "opinion.lead": "建议纳入监测：请组织民主评议并公示满{days}天，把评议公示情况填入台账提交；公示结束后（农户须已签承诺授权）"
                    "系统自动报镇核查",
    "opinion.town_check": "村级评议公示已完成，等待镇里核查",
    "opinion.district_confirm": "镇里核查同意，等待区乡村振兴局认定",
    "opinion.assisting": "{date} 纳入监测，请落实帮扶措施",
    "opinion.town_accept": "风险消除评议公示已完成，等待镇里验收",
    "opinion.district_approve": "镇里验收同意，等待区乡村振兴局审批",
    "opinion.eliminated": "{date} 风险已消除",
    "opinion.not_included": "研判暂不纳入监测",
    "opinion.unknown": "本户填写有误，无法研判，流程暂停：请按“研判结论”和标红的格子改正后重新提交",
    "opinion.elimination": "{opinion}；风险消除研判：{reason}",
    "opinion.notice_running": "公示中，至{end}结束后自动{next}",
    "opinion.notice_pending": "已评议通过，公示将于{start}开始，至{end}结束后自动{next}",
    "opinion.next_town_check": "报镇核查",
    "opinion.next_town_accept": "报镇验收",
    "opinion.notice_no_consent": "；但农户还没有签承诺授权（“承诺授权”应填“是”），公示结束前请补签并重新提交，否则不能{next}",
    "opinion.notice_errors": "；本户还有错误，请按标红的格子改正后重新提交，否则公示结束后也不能{next}",
    # moves the state machine refuses, and the 审核意见 a town or district move leaves (workflow.py)
    "workflow.refused": "{village}{who}户当前状态为“{state}”，{level}级不能执行“{action}”{choices}",
    "workflow.refused_choices": "（{level}级此时可选：{actions}）",
    "workflow.returned": "{level}级退回：{reason}",
    "workflow.no_reason": "未写明原因",
    "workflow.decided": "{level}级{action}{comment}",
    "workflow.decided_comment": "：{comment}",
    # department lists (departments/)
    "dept.config_shape": "规则文件 {path} 应是“名字: 值”的形式",
    "dept.none_unknown": "（没有，每一列都已认出）",
    "dept.config_risk_type": "风险类型“{value}”不在 schemas/lists.yaml 的 risk_types 中，请改为其中之一：{known}",
    "dept.config_guarantee": "保障“{value}”不是 schemas/household.yaml 中的保障列，请改为其中之一：{known}",
    "dept.more_rows": "（共 {count} 行：第 {rows} 行）",
    "dept.blank_name": "（姓名“{name}”）",
    "dept.place_list": "{town}（部门名单所填）",
    "dept.place_code": "{town}（身份证地址码 {code}）",
    "dept.place_removed": "{town}{village}（台账中已移出的户）",
    "dept.place_district": "本区（镇不详，身份证地址码 {code}）",
    "dept.place_outside": "外区（身份证地址码 {code}）",
    "dept.note_title": "{department}名单说明（{stamp}）",
    "dept.note_file": "文件：{name}",
    "dept.note_problem": "问题：{message}",
    "dept.note_fix": "改法：{hint}",
    "dept.note_read": "已读取 {rows} 行，身份证号有效的 {people} 人；{invalid} 行无法比对。",
    "dept.note_issue": "{where}：{message}",
    "dept.note_where_sheet": "“{sheet}”表第 {row} 行",
    "dept.note_where_row": "第 {row} 行",
    "dept.note_more": "……另有 {n} 条，请部门核对后重新导出。",
    "dept.note_still_used": "台账仍按 {date} 收到的“{name}”比对，该名单的说明见 {note}。",
    "dept.note_none_used": "该部门还没有一份名单被使用过。",
    # a department list taken into the ledger (departments/apply.py): the line the terminal prints
    "dept.outcome": "部门数据/{department}/{name}：{status}。{message}",
    "dept.no_department": "未识别部门",
    "dept.outcome_applied": "名单 {rows} 行，有效身份证号 {people} 人，其中 {matched} 人在台账中；新增预警 {new} 条，"
                            "仍待核实 {kept} 条，部门已撤销 {withdrawn} 条；未在台账中的人员 {unmatched} 人",
    "dept.outcome_verified_before": "；另有 {n} 条与镇里已核实过的情况相同，不再重复预警",
    "dept.outcome_issues": "；{n} 行有问题未能比对，见 {note}",
    "dept.outcome_duplicate": "与 {date} 收到的“{name}”内容相同，已比对过，本次不再重复处理",
    "dept.outcome_refused": "{message}（说明见 {note}）",
    "dept.log.applied": "部门名单 %s/%s：新增预警 %d 条，仍待核实 %d 条，部门已撤销 %d 条，未在台账中 %d 人",
    "dept.log.decisions": "%s：部门预警核实结论 %d 项生效，%d 项未生效，新增线索 %d 户",
    # the town's verification of department warnings (departments/verdicts.py)
    "dept.decision_row": "{sheet}表中{who}：{reason}",
    "dept.repeated": "这条预警在本表中已有一行核实结论生效，这一行未采用",
    "dept.warning_label": "{village}{name}（{department}预警）",
    "dept.this_warning": "这一行的预警",
    "dept.decision_closed": "{label}已是“{status}”，这一行来自旧版表格，本次核实结论未生效",
    "dept.decision_missing": "{label}选择了“{decision}”，但{what}，本次决定未生效，请在新表格的这一行重新选择并补全后保存",
    "dept.decision_changed": "{label}已按部门的新名单更新为“{fact}”，这一行来自旧版表格，请在最新表格中重新核实",
    "dept.decision_stale": "{label}的预警内容在这份表格生成后有变化，这一行来自旧版表格，请在最新表格中重新核实",
    "dept.decision_not_monitored": "{label}：该户当前为“{state}”，不在监测中，不能选“属实-已在监测”；情况属实请选“{lead}”",
    "dept.event": "{department}预警：{fact}{comment}",
    "dept.event_comment": "；核实意见：{comment}",
    "dept.no_risk_type": "部门未注明",
    "dept.lead_comment": "{department}预警（{risk}）核实属实{comment}",
    "dept.lead_opinion": "镇里核实{department}部门筛查预警属实，建议纳入监测（线索来源：部门筛查预警；风险类型：{risk}）：请入户核实，"
                         "在台账中据实填写本户的收入、支出和风险，组织民主评议并公示满{days}天后提交",
    # the town's 部门预警 sheet (writers/department_sheets.py)
    "dept.sheet_instruction": "{town}部门预警：各部门名单比对出的本镇人员。请在核实期限内入户核实，在黄色列选择核实结论"
                              "（属实-建议纳入 / 属实-已在监测 / 不属实），不属实时写明原因，填写核实人和日期后保存。"
                              "“属实-建议纳入”的户（不在监测中）将登记为线索，线索来源为部门筛查预警。",
    "dept.verified_instruction": "{town}已核实的部门预警（最近的在前）：核实后即从“部门预警”表中移出，结论留在这里备查；"
                                 "“属实-建议纳入”的户已登记为线索。",
    "dept.lead_yes": "是",
    "dept.overdue": "已超期 {days} 天",
    "dept.due_today": "今天到期",
    "dept.days_left": "剩 {days} 天",
    "alert.kind.dept_overdue": "部门预警超期",
    "alert.dept_overdue": "{department}预警（{name}：{fact}）{received} 收到，应于 {deadline} 前核实，已超期 {days} 天仍未核实",
    # the master's 部门比对 and 未在台账中的人员 (writers/department_master.py)
    "dept.compare_lists": "各部门最近一份名单（预警数为该部门历次名单产生的全部预警；截至 {date}）",
    "dept.compare_towns": "按部门和镇统计",
    "dept.town_unknown": "（镇不详或外区）",
    "dept.all_towns": "全区合计",
    "dept.no_lists": "尚未收到任何部门名单（部门把名单放入“部门数据/<部门>/”后自动比对）",
    "dept.unmatched_title": "未在台账中的人员：各部门最近一份名单中，规则提示需关注、但不在台账任何在册户中的人员。"
                            "请区里按“可能所在镇”转各镇核实是否需要纳入监测。",
    "dept.basis.list": "部门名单所填乡镇",
    "dept.basis.address_code": "身份证地址码",
    "dept.basis.removed_household": "台账中已移出的户",
    "dept.basis.district": "本区，镇不详",
    "dept.basis.outside": "外区",
    # the sharing-back export for a department (departments/share.py, plan 七(二))
    "share.title": "{district}防止返贫监测对象信息（推送{department}）",
    "share.period": "统计范围：{since}至{until}有变动的监测户",
    "share.period_all": "统计范围：截至{until}的全部监测户",
    "share.generated": "生成时间：{now:%Y-%m-%d %H:%M}    来源：{district}乡村振兴局（依据《实施方案》七(二)）",
    "share.privacy": "本表含身份证号等个人信息，仅供{department}比对和帮扶使用，请妥善保管，不得公开或转作他用。",
    "share.counts": "监测户 {households} 户，成员 {members} 人，帮扶措施 {measures} 项。",
    "share.file": "{department}_监测对象_{stamp}.xlsx",
    "share.monthly_file": "{department}_监测对象_{year}年{month:02d}月.xlsx",
    "share.no_department": "“{department}”不是可以推送数据的部门（可选：{choices}）。需要推送给其他部门时，请在 "
                           "rules/departments.yaml 中为该部门加上 share_back: true",
    "share.not_xlsx": "输出文件要以 .xlsx 结尾：{path}",
    "rules_page.written": "已根据规则文件重新生成规则一览：{path}（请打印后由区里审定签字）",
    "rules_page.not_folder": "{path} 不是规则文件夹，请给出放 assessment.yaml 等文件的文件夹",
    "share.done": "已写出推送{department}的监测对象信息：{path}（监测户 {households} 户，成员 {members} 人，帮扶措施 {measures} 项）",
    "share.log.monthly": "每月推送%s：%s（%d 户）",
    # the master's 帮扶措施 and 帮扶措施统计 (writers/master_measures.py) and a department's measures
    # (`excel-bridge export <部门>`, departments/measure_export.py)
    "measures.no_unit": "（未填责任单位）",
    "measures.counts_title": "{district}帮扶措施统计（按责任单位、部门、镇）",
    "measures.counts_note": "只统计在册户的措施；户数为有措施的户（同一户多项措施只算一户）；资金为各项措施所填“资金（元）”之和；"
                            "“对应部门”按 rules/departments.yaml 中部门的名称和别名认定，认不出的单位按所填名称单列。",
    "measures.by_unit": "按责任单位",
    "measures.by_department": "按部门（责任单位对应到 rules/departments.yaml 中的部门）",
    "measures.by_town": "按镇",
    "measures.export_title": "{district}帮扶措施（{department}负责）",
    "measures.export_scope": "统计范围：截至{until}在册户中责任单位为{department}的帮扶措施（责任单位按 rules/departments.yaml "
                             "中的名称和别名认定：{units}）",
    "measures.export_privacy": "本表含身份证号等个人信息，仅供{department}落实帮扶措施使用，请妥善保管，不得公开或转作他用。",
    "measures.export_counts": "{households} 户，帮扶措施 {measures} 项，资金 {money} 元，其中已完成 {done} 项。",
    "measures.export_file": "{department}_帮扶措施_{stamp}.xlsx",
    "measures.export_done": "已写出{department}负责的帮扶措施：{path}（{households} 户，措施 {measures} 项，资金 {money} 元，"
                            "已完成 {done} 项）",
    "measures.no_department": "“{department}”既不是 rules/departments.yaml 中的部门，也不是台账中任何措施的责任单位"
                              "（部门：{choices}）。请写部门名（如 医保），或措施“责任单位”一栏所填的名称",
    # why a workbook could not be read (read.py)
    "read.zip_incomplete": "压缩包不完整，可能没有复制完",
    "read.zip_no_workbook": "压缩包里没有工作簿内容",
    "read.unknown_format": "文件开头不是任何表格格式",
    "read.sheet_failed": "工作表“{name}”：{error}",
}


def status_word(status: str) -> str:
    """A submission's status (applied, duplicate, unreadable, failed, decisions) in the words users see."""
    return TEXT.get(f"status.{status}", status)


# argparse's own words (usage, section titles, errors), keyed by its gettext msgids — the stable keys
# translators use, the same in Python 3.11–3.13 (tests assert each still occurs in the running argparse).
ARGPARSE: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "optional arguments": "选项",
    "subcommands": "命令",
    "show this help message and exit": "显示本说明后退出",
    "show program's version number and exit": "显示版本号后退出",
    " (default: %(default)s)": "（默认：%(default)s）",
    "%(heading)s:": "%(heading)s:",  # 3.13 made the colon translatable; kept as 3.11/3.12 print it
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n运行“%(prog)s -h”可以查看用法和说明。\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s：注意：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必填的参数：%s",
    "unrecognized arguments: %s": "不认识这些参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "没有“%(value)s”这一项（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "“%(value)s”不是有效的值",
    "expected one argument": "后面要写一个值",
    "expected at most one argument": "后面最多写一个值",
    "expected at least one argument": "后面至少要写一个值",
    "expected %s argument": "后面要写 %s 个值",
    "expected %s arguments": "后面要写 %s 个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "not allowed with argument %s": "不能与 %s 同时使用",
    "one of the arguments %s is required": "%s 中必须给出一个",
    "ignored explicit argument %r": "这个选项后面不能带值：%s",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
}
