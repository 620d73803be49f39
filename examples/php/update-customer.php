<?php
    // shopbeacon: a newsletter sign-up handler calling /api/updateCustomer, written as the
    // updateOrder client (update-order.php) is. Put it behind your sign-up form (POST email=…), or
    // run it from the command line with the address as its argument:
    //   SHOPBEACON_PUBLIC_KEY=pk_… SHOPBEACON_PRIVATE_KEY=sk_… php examples/php/update-customer.php jane@doe.com
    $shopbeacon_url = getenv('SHOPBEACON_URL') ?: "http://127.0.0.1:8787";
    $email = PHP_SAPI === 'cli' ? ($argv[1] ?? '') : ($_POST['email'] ?? '');

    // ================================================================================
    // THE DATA
    // ================================================================================
    $post_data = array();
    $post_data["data"]["customer_email"] = $email;
    if (isset($_COOKIE['sbt'])) // the tracker's visitor cookie, when the browser sent it: the sign-up joins that visitor's profile
    {
       $post_data["data"]["customer_cookie"] = $_COOKIE['sbt'];
    }
    $post_data["data"]["customer_isoptin"] = "1"; // email opt-in: 1 opted in, 0 not opted in, -1 unknown
    $post_data["data"]["action"] = "newsletter";

    // ================================================================================
    // THE CALL
    // ================================================================================
    $curl = curl_init();
    curl_setopt($curl, CURLOPT_URL, rtrim($shopbeacon_url, "/") . "/api/updateCustomer");
    curl_setopt($curl, CURLOPT_POST, true);
    curl_setopt($curl, CURLOPT_POSTREDIR, CURL_REDIR_POST_ALL);
    curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true);
    curl_setopt($curl, CURLOPT_HTTPAUTH, CURLAUTH_ANY); // the keys go after the Worker's 401 challenge (HTTP Basic)
    curl_setopt($curl, CURLOPT_USERPWD, getenv('SHOPBEACON_PUBLIC_KEY') . ":" . getenv('SHOPBEACON_PRIVATE_KEY'));
    curl_setopt($curl, CURLOPT_POSTFIELDS, http_build_query($post_data));
    curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
    $curl_return = curl_exec($curl);
    $curl_error = curl_error($curl);
    $http_status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    curl_close($curl);

    // ================================================================================
    // THE ANSWER
    // ================================================================================
    if ($curl_return === false) {
        fwrite(STDERR, "updateCustomer: no answer from " . $shopbeacon_url . ": " . $curl_error . "\n");
        exit(1);
    }
    $ok = $http_status >= 200 && $http_status < 300;
    if (PHP_SAPI === 'cli') {
        echo "HTTP " . $http_status . "\n" . $curl_return . "\n";
        exit($ok ? 0 : 1);
    }
    // Behind a form: never show the API's answer (nor the keys' problems) to the visitor.
    if (!$ok) error_log("shopbeacon updateCustomer: HTTP " . $http_status . " " . $curl_return);
    if ($ok) {
        echo "Thank you, you are subscribed.";
    } elseif ($http_status == 400) { // the address (or another field) was refused
        http_response_code(400);
        echo "This email address is not valid.";
    } else { // wrong keys, shopbeacon unreachable…: the shop's problem, not the visitor's
        http_response_code(503);
        echo "Subscribing is not possible right now, please try again later.";
    }
