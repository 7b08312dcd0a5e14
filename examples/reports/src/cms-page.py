#!/usr/bin/env python3
"""Wraps an article body in a government-CMS page (navigation, breadcrumb, 发布时间/来源 line,
font-size and print widgets, share bar, related links, footer) and writes it in GBK, as many
county and street sites still serve their pages. Usage: cms-page.py BODY.html OUT.html"""
import sys

body = open(sys.argv[1], encoding="utf-8").read()
page = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk" />
<meta charset="gbk">
<title>潮音街道办事处2024年度法治政府建设工作报告_南屿市东湖区人民政府</title>
<link rel="stylesheet" href="/css/style.css" />
</head>
<body>
<div class="top"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | <a href="/hdjl/">互动交流</a> | 无障碍浏览 | 长者模式</div>
<div class="nav">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/fzzfjs/">法治政府建设</a></div>
<div class="article">
<h1 class="title">潮音街道办事处2024年度法治政府建设工作报告</h1>
<div class="info">发布时间：2025-03-12 10:26 来源：潮音街道办事处 浏览次数：<span id="hits">318</span></div>
<div class="fontsize">字号：[ <a href="#">大</a> <a href="#">中</a> <a href="#">小</a> ] 【打印】 【关闭】</div>
<div class="TRS_Editor">
""" + body + """</div>
<div class="share">分享到：微信 微博 QQ空间</div>
<div class="related"><h3>相关文章</h3><ul><li><a href="/a/1.html">东湖区2024年法治政府建设年度报告</a></li><li><a href="/a/2.html">关于开展2025年“八五”普法总结验收的通知</a></li></ul></div>
</div>
<div class="footer">
<p>主办：南屿市东湖区人民政府办公室 承办：东湖区政务服务数据管理局</p>
<p>网站标识码：0000000000 闽ICP备00000000号 公安机关备案号 00000000000000</p>
<p>扫一扫在手机打开当前页</p>
</div>
</body>
</html>
"""
open(sys.argv[2], "wb").write(page.encode("gbk"))
